-- 015_partition_retention
-- The retention of a partitioned performance_logs or system_metrics (issue
-- 14; `handoff-top partition` converts them to daily range partitions by
-- created_at / recorded_at) in SQL, so the sweep without handoff-top
-- (CALL log_retention_sweep(), from psql, cron or pg_cron) drops whole expired
-- partitions as `handoff-top sweep` does, before its row batches:
--
--   SELECT * FROM log_retention_partitions();              -- drop expired days, create the next 3
--   SELECT * FROM log_retention_partitions(3, true);       -- the dry run: what it would do, no DDL
--   CALL log_retention_sweep();                            -- partitions, then the row batches
--
-- A partition goes when its upper bound is at or below the table's retention
-- cutoff (log_retention_cutoffs of 013: the period, and for performance_logs
-- held back to what the rollups have read), so only days entirely past it go;
-- the rows left past the cutoff are the batches'. The daily partitions of the
-- next p_ahead days (UTC) that are missing are created, owned by the table's
-- owner; a day whose rows the DEFAULT partition holds already is skipped and
-- said so. Each DROP and CREATE takes a short ACCESS EXCLUSIVE lock on the
-- partitioned table (catalog work). A table that is not partitioned is left
-- out (returns no row).

CREATE OR REPLACE FUNCTION log_retention_partitions(p_ahead integer DEFAULT 3, p_dry_run boolean DEFAULT false, p_now timestamptz DEFAULT now())
RETURNS TABLE (table_name text, action text, partition_name text, upper_bound timestamptz, cutoff timestamptz, reason text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t record;
    r record;
    d integer;
    day_start timestamptz;
    part text;
BEGIN
    IF p_ahead IS NULL OR p_ahead < 0 THEN
        RAISE EXCEPTION 'partitions ahead must be at least 0, got %', p_ahead;
    END IF;
    FOR t IN SELECT c.table_name AS tab, k.oid AS rel, k.relowner, c.keep_for, c.held_by_rollups,
                    CASE WHEN isfinite(c.cutoff) THEN c.cutoff END AS cut
               FROM log_retention_cutoffs(p_now) c
               JOIN pg_catalog.pg_class k ON k.oid = to_regclass(c.table_name) AND k.relkind = 'p'
              WHERE c.name IN ('performance_logs', 'system_metrics')
              ORDER BY c.table_name LOOP
        table_name := t.tab;
        action := 'partitioned';
        partition_name := NULL;
        upper_bound := NULL;
        cutoff := t.cut;
        reason := CASE WHEN t.keep_for IS NULL THEN 'kept for ever' WHEN t.cut IS NULL THEN 'nothing is rolled up yet' END;
        RETURN NEXT;
        reason := NULL;
        -- the partitions entirely past the cutoff (a day's, the converted table's up to its bound)
        FOR r IN SELECT p.relname::text AS relname,
                        substring(pg_catalog.pg_get_expr(p.relpartbound, p.oid) FROM $re$ TO \('([^']+)'\)$re$)::timestamptz AS upper
                   FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid
                  WHERE i.inhparent = t.rel ORDER BY 2 LOOP
            CONTINUE WHEN t.cut IS NULL OR r.upper IS NULL OR r.upper > t.cut;
            IF NOT p_dry_run THEN
                EXECUTE format('DROP TABLE %I', r.relname);
            END IF;
            action := 'dropped';
            partition_name := r.relname;
            upper_bound := r.upper;
            RETURN NEXT;
        END LOOP;
        -- the next days' partitions
        FOR d IN 0 .. p_ahead - 1 LOOP
            day_start := date_trunc('day', p_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(days => d);
            part := t.tab || '_p' || to_char(day_start AT TIME ZONE 'UTC', 'YYYYMMDD');
            CONTINUE WHEN to_regclass(part) IS NOT NULL;
            -- a day another partition covers already: the converted table (FROM MINVALUE up to its bound), or
            -- one made by someone else (pg_partman's premade ones, of other names)
            CONTINUE WHEN EXISTS (SELECT 1 FROM (SELECT pg_catalog.pg_get_expr(p.relpartbound, p.oid) AS expr
                                                   FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid
                                                  WHERE i.inhparent = t.rel) b
                                   WHERE substring(b.expr FROM $re$ TO \('([^']+)'\)$re$)::timestamptz > day_start
                                     AND (b.expr LIKE 'FOR VALUES FROM (MINVALUE)%'
                                          OR substring(b.expr FROM $re$^FOR VALUES FROM \('([^']+)'\)$re$)::timestamptz < day_start + interval '1 day'));
            partition_name := part;
            upper_bound := day_start + interval '1 day';
            BEGIN
                IF NOT p_dry_run THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, t.tab, day_start, day_start + interval '1 day');
                    IF (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(part)) <> t.relowner THEN
                        EXECUTE format('ALTER TABLE %I OWNER TO %I', part, pg_catalog.pg_get_userbyid(t.relowner));
                    END IF;
                END IF;
                action := 'created';
                reason := NULL;
            EXCEPTION WHEN check_violation OR invalid_object_definition THEN
                action := 'skipped';
                reason := SQLERRM;
            END;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END;
$$;

-- The whole log retention for pg_cron or psql, outside a transaction block:
-- the partitions first (one transaction, waiting at most 2 s for a lock when
-- the role sets no lock_timeout of its own), then every period in batches of
-- p_rows, each batch committed before the next. Replaces 013's
-- log_retention_sweep(integer), which did not drop partitions.
DROP PROCEDURE IF EXISTS log_retention_sweep(integer);
CREATE PROCEDURE log_retention_sweep(p_rows integer DEFAULT 5000, p_ahead integer DEFAULT 3)
LANGUAGE plpgsql AS $$
DECLARE
    p record;
    more boolean;
BEGIN
    IF current_setting('lock_timeout') IN ('0', '0ms') THEN
        PERFORM set_config('lock_timeout', '2s', true);
    END IF;
    PERFORM count(*) FROM log_retention_partitions(p_ahead);
    COMMIT;
    FOR p IN SELECT r.name FROM log_retention r ORDER BY r.name LOOP
        LOOP
            SELECT coalesce(bool_or(b.removed > 0), false) INTO more FROM log_retention_batch(p.name, p_rows) b;
            COMMIT;
            EXIT WHEN NOT more;
        END LOOP;
    END LOOP;
END;
$$;
