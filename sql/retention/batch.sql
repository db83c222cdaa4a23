-- One batch of one log retention period ($1 its name, $2 the most rows per
-- table): sql/migrations/013_log_retention.sql. Run in a transaction of its
-- own under batch_limits.sql.
SELECT table_name, removed, CASE WHEN isfinite(cutoff) THEN cutoff END AS cutoff
FROM log_retention_batch($1, $2)
