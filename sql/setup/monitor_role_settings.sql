-- Template ({{role}} a quoted identifier): the monitor's sessions are
-- read-only and never wait long - a migration's ACCESS EXCLUSIVE lock makes
-- it give up instead of queueing production traffic behind it.
ALTER ROLE {{role}} SET default_transaction_read_only = on;
ALTER ROLE {{role}} SET statement_timeout = '5s';
ALTER ROLE {{role}} SET lock_timeout = '1s';
ALTER ROLE {{role}} SET idle_in_transaction_session_timeout = '60s';
