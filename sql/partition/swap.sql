-- Step 4, in one short transaction (the only ACCESS EXCLUSIVE lock of the
-- conversion, on performance_logs; no row is read or copied): the existing
-- table becomes performance_logs_legacy, a partitioned performance_logs with
-- the same columns, defaults, CHECKs, foreign keys and index names (its
-- primary key (id, created_at): a partitioned table's key must hold the
-- partition key) takes its place, and the old table is attached as its
-- partition FROM (MINVALUE) TO (bound): the validated CHECK spares the scan,
-- its indexes are attached as the parent's. Then a DEFAULT partition (a row
-- no daily partition covers is still written) and the daily partitions ahead.
-- Views that read performance_logs are re-created on the new table.
DO $$
DECLARE
    bound timestamptz := current_setting('handoff_top.partition_bound')::timestamptz;
    ahead integer := current_setting('handoff_top.partition_ahead')::integer;
    r record;
    views text[][] := '{}';
    indexes text[] := '{}';
    fks text[] := '{}';
    d integer;
    day_start timestamptz;
BEGIN
    LOCK TABLE performance_logs IN ACCESS EXCLUSIVE MODE;
    -- its primary key (id) goes (a partition takes the parent's (id, created_at), from the unique index of step 3)
    FOR r IN SELECT c.conname FROM pg_catalog.pg_constraint c WHERE c.conrelid = 'performance_logs'::regclass AND c.contype = 'p' LOOP
        EXECUTE format('ALTER TABLE performance_logs DROP CONSTRAINT %I', r.conname);
    END LOOP;
    -- ATTACH takes a partition's index for the parent's key only if a constraint uses it (else it builds one, reading every row)
    ALTER TABLE performance_logs ADD CONSTRAINT performance_logs_legacy_id_created_at UNIQUE USING INDEX performance_logs_legacy_id_created_at;
    FOR r IN SELECT DISTINCT v.oid::regclass::text AS name, pg_catalog.pg_get_viewdef(v.oid) AS def
               FROM pg_catalog.pg_depend dep
               JOIN pg_catalog.pg_rewrite rw ON rw.oid = dep.objid
               JOIN pg_catalog.pg_class v ON v.oid = rw.ev_class
              WHERE dep.classid = 'pg_catalog.pg_rewrite'::regclass AND dep.refobjid = 'performance_logs'::regclass
                AND v.oid <> 'performance_logs'::regclass LOOP
        views := views || ARRAY[[r.name, r.def]];
    END LOOP;
    FOR r IN SELECT i.relname AS name, pg_catalog.pg_get_indexdef(x.indexrelid) AS def
               FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
              WHERE x.indrelid = 'performance_logs'::regclass ORDER BY i.relname LOOP
        IF r.name <> 'performance_logs_legacy_id_created_at' THEN
            indexes := indexes || r.def;
            EXECUTE format('ALTER INDEX %I RENAME TO %I', r.name, left(replace(r.name, 'performance_logs', 'performance_logs_legacy'), 63));
        END IF;
    END LOOP;
    FOR r IN SELECT c.conname, pg_catalog.pg_get_constraintdef(c.oid) AS def FROM pg_catalog.pg_constraint c
              WHERE c.conrelid = 'performance_logs'::regclass AND c.contype = 'f' ORDER BY c.conname LOOP
        fks := fks || format('ALTER TABLE performance_logs ADD CONSTRAINT %I %s', r.conname, r.def);
    END LOOP;
    ALTER TABLE performance_logs RENAME TO performance_logs_legacy;
    CREATE TABLE performance_logs (LIKE performance_logs_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (id, created_at))
        PARTITION BY RANGE (created_at);
    ALTER TABLE performance_logs DROP CONSTRAINT performance_logs_legacy_bound;
    FOR d IN 1 .. coalesce(array_length(fks, 1), 0) LOOP
        EXECUTE fks[d];
    END LOOP;
    FOR d IN 1 .. coalesce(array_length(indexes, 1), 0) LOOP
        EXECUTE indexes[d];
    END LOOP;
    EXECUTE format('ALTER TABLE performance_logs ATTACH PARTITION performance_logs_legacy FOR VALUES FROM (MINVALUE) TO (%L)', bound);
    CREATE TABLE performance_logs_default PARTITION OF performance_logs DEFAULT;
    FOR d IN 0 .. ahead - 1 LOOP
        day_start := bound + make_interval(days => d);
        EXECUTE format('CREATE TABLE %I PARTITION OF performance_logs FOR VALUES FROM (%L) TO (%L)',
                       'performance_logs_p' || to_char(day_start AT TIME ZONE 'UTC', 'YYYYMMDD'), day_start, day_start + interval '1 day');
    END LOOP;
    FOR d IN 1 .. coalesce(array_length(views, 1), 0) LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', views[d][1], views[d][2]);
    END LOOP;
END;
$$
