-- Which database, schema and server a validation report is about.
SELECT current_database() AS database,
       current_schema() AS schema,
       current_setting('server_version') AS server_version
