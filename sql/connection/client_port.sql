-- The client port the server sees for this backend (NULL over a Unix socket).
-- Not the port of our own socket: something in between, such as PgBouncer.
SELECT inet_client_port() AS port
