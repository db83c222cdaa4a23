-- A CREATE INDEX CONCURRENTLY that failed leaves an invalid index: it is dropped and built again.
SELECT x.indisvalid AS valid
FROM pg_catalog.pg_index x
WHERE x.indexrelid = to_regclass('performance_logs_legacy_id_created_at')
