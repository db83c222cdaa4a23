-- A CREATE INDEX CONCURRENTLY that failed leaves an invalid index ($1 its name): it is dropped and built again.
SELECT x.indisvalid AS valid
FROM pg_catalog.pg_index x
WHERE x.indexrelid = to_regclass($1)
