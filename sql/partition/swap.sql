-- Step 4, in one short transaction (the only ACCESS EXCLUSIVE lock of the
-- conversion, on the table; no row is read or copied): the existing table T
-- (handoff_top.partition_table, by its time column handoff_top.partition_column)
-- becomes T_legacy, a partitioned T with the same columns, defaults, CHECKs,
-- foreign keys, index names, owner and privileges (its primary key (id,
-- time): a partitioned table's key must hold the partition key) takes its
-- place, and the old table is attached as its partition FROM (MINVALUE) TO
-- (bound): the validated CHECK spares the scan (and the SET NOT NULL of a time
-- column the server created nullable), its indexes are attached as the
-- parent's. Then a DEFAULT partition (a row no daily partition covers is still
-- written) and the daily partitions ahead. Views that read T are re-created
-- on the new table.
DO $$
DECLARE
    tab text := current_setting('handoff_top.partition_table');
    col text := current_setting('handoff_top.partition_column');
    legacy text := tab || '_legacy';
    key_index text := tab || '_legacy_id_' || col;
    bound timestamptz := current_setting('handoff_top.partition_bound')::timestamptz;
    ahead integer := current_setting('handoff_top.partition_ahead')::integer;
    owner_name text;
    r record;
    views text[][] := '{}';
    indexes text[] := '{}';
    fks text[] := '{}';
    grants text[] := '{}';
    d integer;
    day_start timestamptz;
    part text;
BEGIN
    EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', tab);
    SELECT pg_catalog.pg_get_userbyid(c.relowner) INTO owner_name FROM pg_catalog.pg_class c WHERE c.oid = tab::regclass;
    -- its primary key (id) goes (a partition takes the parent's (id, time), from the unique index of step 3)
    FOR r IN SELECT c.conname FROM pg_catalog.pg_constraint c WHERE c.conrelid = tab::regclass AND c.contype = 'p' LOOP
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', tab, r.conname);
    END LOOP;
    -- ATTACH takes a partition's index for the parent's key only if a constraint uses it (else it builds one, reading every row)
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I UNIQUE USING INDEX %I', tab, key_index, key_index);
    -- a time column the server's CREATE TABLE left nullable: the validated CHECK proves it holds no NULL (no scan)
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET NOT NULL', tab, col);
    FOR r IN SELECT DISTINCT v.oid::regclass::text AS name, pg_catalog.pg_get_viewdef(v.oid) AS def
               FROM pg_catalog.pg_depend dep
               JOIN pg_catalog.pg_rewrite rw ON rw.oid = dep.objid
               JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class
              WHERE dep.classid = 'pg_catalog.pg_rewrite'::regclass AND dep.refobjid = tab::regclass
                AND v.oid <> tab::regclass LOOP
        views := views || ARRAY[[r.name, r.def]];
    END LOOP;
    FOR r IN SELECT i.relname AS name, pg_catalog.pg_get_indexdef(x.indexrelid) AS def
               FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
              WHERE x.indrelid = tab::regclass ORDER BY i.relname LOOP
        IF r.name <> key_index THEN
            indexes := indexes || r.def;
            EXECUTE format('ALTER INDEX %I RENAME TO %I', r.name, left(replace(r.name, tab, legacy), 63));
        END IF;
    END LOOP;
    FOR r IN SELECT c.conname, pg_catalog.pg_get_constraintdef(c.oid) AS def FROM pg_catalog.pg_constraint c
              WHERE c.conrelid = tab::regclass AND c.contype = 'f' ORDER BY c.conname LOOP
        fks := fks || format('ALTER TABLE %I ADD CONSTRAINT %I %s', tab, r.conname, r.def);
    END LOOP;
    -- the table's privileges (the monitor role's SELECT, the server's INSERT when another role owns it)
    FOR r IN SELECT a.privilege_type, a.is_grantable, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee
               FROM pg_catalog.pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = tab::regclass AND a.grantee <> c.relowner LOOP
        grants := grants || format('GRANT %s ON %I TO %s%s', r.privilege_type, tab, r.grantee, CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    EXECUTE format('ALTER TABLE %I RENAME TO %I', tab, legacy);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (id, %I)) PARTITION BY RANGE (%I)', tab, legacy, col, col);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', tab, tab || '_legacy_bound');
    FOR d IN 1 .. coalesce(array_length(fks, 1), 0) LOOP
        EXECUTE fks[d];
    END LOOP;
    FOR d IN 1 .. coalesce(array_length(indexes, 1), 0) LOOP
        EXECUTE indexes[d];
    END LOOP;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', tab, legacy, bound);
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tab || '_default', tab);
    FOR d IN 0 .. ahead - 1 LOOP
        day_start := bound + make_interval(days => d);
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       tab || '_p' || to_char(day_start AT TIME ZONE 'UTC', 'YYYYMMDD'), tab, day_start, day_start + interval '1 day');
    END LOOP;
    -- the owner of the table before stays the owner of the table and its partitions (the sweep, as that owner, drops them)
    IF owner_name <> current_user THEN
        FOR part IN SELECT c.oid::regclass::text FROM pg_catalog.pg_class c WHERE c.oid IN (SELECT p.relid FROM pg_partition_tree(tab::regclass) p)
                       AND c.relowner <> (SELECT o.oid FROM pg_catalog.pg_roles o WHERE o.rolname = owner_name) LOOP
            EXECUTE format('ALTER TABLE %s OWNER TO %I', part, owner_name);
        END LOOP;
    END IF;
    FOR d IN 1 .. coalesce(array_length(grants, 1), 0) LOOP
        EXECUTE grants[d];
    END LOOP;
    FOR d IN 1 .. coalesce(array_length(views, 1), 0) LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', views[d][1], views[d][2]);
    END LOOP;
END;
$$
