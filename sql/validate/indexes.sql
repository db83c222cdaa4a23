-- Indexes by definition (pg_get_indexdef), with validity: an index left
-- invalid by a failed CREATE INDEX CONCURRENTLY is not an index.
SELECT i.relname AS name,
       t.relname AS relation,
       pg_catalog.pg_get_indexdef(x.indexrelid) AS definition,
       x.indisvalid AS valid
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY i.relname
