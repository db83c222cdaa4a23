-- Table constraints (primary keys, unique, check, foreign keys, exclusion).
-- NOT NULL constraints (contype 'n', catalogued from PostgreSQL 18) are left
-- out: nullability is compared per column, the same on every version.
SELECT co.conname AS name,
       t.relname AS relation,
       co.contype::text AS kind,
       pg_catalog.pg_get_constraintdef(co.oid) AS definition,
       co.convalidated AS validated
FROM pg_catalog.pg_constraint co
JOIN pg_catalog.pg_class t ON t.oid = co.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema()
  AND co.contype IN ('p', 'u', 'c', 'f', 'x')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY t.relname, co.conname
