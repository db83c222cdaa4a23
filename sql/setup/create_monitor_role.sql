-- Template: a login role for the monitor; {{role}} is a quoted identifier.
CREATE ROLE {{role}} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT
