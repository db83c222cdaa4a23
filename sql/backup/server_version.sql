-- The server's version, to check that pg_dump can dump it.
SELECT current_setting('server_version') AS version,
       current_setting('server_version_num') AS version_num
