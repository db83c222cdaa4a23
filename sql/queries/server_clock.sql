-- The server's time and version, for headers.
SELECT now() AS now, current_setting('server_version') AS server_version, current_database() AS database
