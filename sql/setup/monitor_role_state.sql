-- The monitor role as it is now ($1 role name, $2 relations it should read):
-- whether it exists and may log in, its role-level settings, and which of
-- the connect, schema-usage and select privileges it lacks.
SELECT r.rolcanlogin AS can_login,
       r.rolsuper AS superuser,
       coalesce((SELECT s.setconfig FROM pg_db_role_setting s
                  WHERE s.setrole = r.oid AND s.setdatabase = 0), '{}') AS settings,
       has_database_privilege(r.oid, current_database(), 'CONNECT') AS can_connect,
       has_schema_privilege(r.oid, current_schema(), 'USAGE') AS can_use_schema,
       coalesce((SELECT array_agg(t.relation ORDER BY t.relation) FROM unnest($2::text[]) AS t(relation)
                  WHERE to_regclass(t.relation) IS NULL
                     OR NOT has_any_column_privilege(r.oid, to_regclass(t.relation), 'SELECT')), '{}') AS cannot_read
FROM pg_roles r
WHERE r.rolname = $1
