-- Run on the maintenance database: does the target database exist?
SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists
