-- The sweep's partition step (when handoff-top partition has partitioned
-- performance_logs; else it does nothing): drops each partition whose upper
-- bound is at or below the raw rows' retention cutoff (log_retention_cutoffs
-- of 013: the period, held back to what the rollups have read), so only
-- partitions entirely past it go, and creates the daily partitions of the
-- next handoff_top.partition_ahead days that are missing. A day whose rows
-- are in the DEFAULT partition already is left to it (skipped). Each DROP and
-- CREATE takes a short ACCESS EXCLUSIVE lock on performance_logs (catalog
-- work). What it did goes to handoff_top.partition_result (JSON). With
-- handoff_top.partition_dry_run it changes nothing and says what it would do
-- (a day the DEFAULT partition holds rows of is then not known to be skipped).
DO $$
DECLARE
    ahead integer := current_setting('handoff_top.partition_ahead')::integer;
    dry boolean := current_setting('handoff_top.partition_dry_run')::boolean;
    cut timestamptz;
    r record;
    dropped jsonb := '[]';
    created jsonb := '[]';
    skipped jsonb := '[]';
    d integer;
    day_start timestamptz;
    part text;
BEGIN
    IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = to_regclass('performance_logs')) IS DISTINCT FROM 'p' THEN
        PERFORM set_config('handoff_top.partition_result', '{"partitioned": false}', true);
        RETURN;
    END IF;
    SELECT c.cutoff INTO cut FROM log_retention_cutoffs() c WHERE c.name = 'performance_logs';
    FOR r IN SELECT p.relname, substring(pg_catalog.pg_get_expr(p.relpartbound, p.oid) FROM $re$ TO \('([^']+)'\)$re$)::timestamptz AS upper_bound
               FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid
              WHERE i.inhparent = 'performance_logs'::regclass ORDER BY 2 LOOP
        IF cut IS NOT NULL AND r.upper_bound IS NOT NULL AND r.upper_bound <= cut THEN
            IF NOT dry THEN
                EXECUTE format('DROP TABLE %I', r.relname);
            END IF;
            dropped := dropped || jsonb_build_object('partition', r.relname, 'upperBound', r.upper_bound);
        END IF;
    END LOOP;
    FOR d IN 0 .. ahead - 1 LOOP
        day_start := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(days => d);
        part := 'performance_logs_p' || to_char(day_start AT TIME ZONE 'UTC', 'YYYYMMDD');
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        -- a day an existing partition (the converted table, up to its bound) covers already
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid
                               WHERE i.inhparent = 'performance_logs'::regclass
                                 AND substring(pg_catalog.pg_get_expr(p.relpartbound, p.oid) FROM $re$ TO \('([^']+)'\)$re$)::timestamptz > day_start
                                 AND pg_catalog.pg_get_expr(p.relpartbound, p.oid) LIKE 'FOR VALUES FROM (MINVALUE)%');
        BEGIN
            IF NOT dry THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF performance_logs FOR VALUES FROM (%L) TO (%L)', part, day_start, day_start + interval '1 day');
            END IF;
            created := created || to_jsonb(part);
        EXCEPTION WHEN check_violation OR invalid_object_definition THEN
            skipped := skipped || jsonb_build_object('partition', part, 'reason', SQLERRM);
        END;
    END LOOP;
    PERFORM set_config('handoff_top.partition_result',
                       jsonb_build_object('partitioned', true, 'cutoff', CASE WHEN isfinite(cut) THEN cut END, 'dropped', dropped, 'created', created, 'skipped', skipped)::text, true);
END;
$$
