-- Tables and views of the handoff schema (the current schema), read from
-- pg_catalog: information_schema would hide what the role may not read.
-- Objects that belong to an extension are the extension's business.
SELECT c.relname AS name,
       c.relkind::text AS kind,
       c.relpersistence::text AS persistence,
       CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END AS view_definition
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema()
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY c.relname
