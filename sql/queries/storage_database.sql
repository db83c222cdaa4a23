-- The database's size and, where this role may read it (superuser or
-- pg_read_all_settings; pg_settings hides it otherwise), the server's data
-- directory, whose free space the Storage panel reads when the server runs
-- on this machine.
SELECT pg_database_size(current_database()) AS database_bytes,
       (SELECT s.setting FROM pg_settings s WHERE s.name = 'data_directory') AS data_directory,
       inet_server_addr()::text AS server_addr,
       inet_server_port() AS server_port,
       now() AS now
