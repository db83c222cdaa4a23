-- 013_log_retention
-- How long the logs are kept (spec requirements 6.1, 6.2; issue 14), as data
-- beside the session policies of 002: raw performance_logs and system_metrics,
-- each latency rollup tier, analytics_aggregations and the purge audit. The
-- sweep removes what is older in bounded batches (log_retention_batch, one
-- transaction per batch, rows claimed with SKIP LOCKED), so no transaction
-- deletes millions of rows and a writer waits on the sweep for one batch at
-- most. Change a period with an UPDATE:
--     UPDATE log_retention SET keep_for = interval '14 days' WHERE name = 'performance_logs';
-- keep_for NULL keeps the rows for ever.
--
-- The rollups outlive the raw rows, so the charts' 24 h (and any longer)
-- window is drawn from them after the raw rows are gone. Two rules keep them
-- whole whatever the periods:
--   * raw performance_logs are removed only below the rollups' watermark minus
--     the refresh's grace window (refresh_performance_rollups() re-reads the raw
--     rows from there on); before the first refresh, none are removed;
--   * 1-minute rollups are removed only below the hour of that point (the
--     10-minute and hourly tiers are rebuilt from the 1-minute rows of every
--     bucket a refresh touches).
-- Each tier keeps at least 25 hours (the charts' and the performance table's
-- 24 h window reads every tier, with up to an hour at its edges).
-- performance_rollup_state.retention, which refresh_performance_rollups()
-- applies to all tiers at once, follows the longest tier period (a trigger
-- below), so the per-tier periods here are the ones that hold.

CREATE TABLE IF NOT EXISTS log_retention (
    name varchar(50) PRIMARY KEY CHECK (name IN ('performance_logs', 'system_metrics', 'performance_rollup_1m',
        'performance_rollup_10m', 'performance_rollup_1h', 'analytics_aggregations', 'session_purge_audit')),
    keep_for interval,             -- rows older than this are removed by the sweep; NULL: never
    description text NOT NULL DEFAULT '',
    CHECK (keep_for IS NULL OR keep_for >= interval '1 hour'),
    CHECK (name NOT LIKE 'performance\_rollup\_%' OR keep_for IS NULL OR keep_for >= interval '25 hours')
);

INSERT INTO log_retention (name, keep_for, description) VALUES
    ('performance_logs', interval '30 days', 'raw performance_logs rows (by created_at); the session screen''s recent calls and exact p95 read them'),
    ('system_metrics', interval '30 days', 'raw system_metrics rows (by recorded_at); the Metrics screen reads them'),
    ('performance_rollup_1m', interval '35 days', '1-minute latency rollups and their histograms (charts of windows up to 24 h)'),
    ('performance_rollup_10m', interval '90 days', '10-minute latency rollups and their histograms'),
    ('performance_rollup_1h', interval '400 days', 'hourly latency rollups and their histograms (a year and a month)'),
    ('analytics_aggregations', interval '400 days', 'analytics_aggregations rows (by time_bucket)'),
    ('session_purge_audit', interval '365 days', 'purge audit rows, with the purged session''s row and lifecycle history (by purged_at)')
ON CONFLICT (name) DO NOTHING;

-- The batches walk the oldest rows of system_metrics by time (the handoff
-- server creates the same index at its start).
CREATE INDEX IF NOT EXISTS idx_system_metrics_recorded_at ON system_metrics (recorded_at);

-- Each retained table, its time column, and the time below which its rows go:
-- now - keep_for, held back for the rollups as the header says. p_rolled_up_to
-- stands in for the rollups' watermark (the dry run passes the one the sweep's
-- refresh would reach). cutoff NULL: nothing is removed (keep_for NULL).
CREATE OR REPLACE FUNCTION log_retention_cutoffs(p_now timestamptz DEFAULT now(), p_rolled_up_to timestamptz DEFAULT NULL)
RETURNS TABLE (name varchar, table_name text, time_column text, resolution_s integer, keep_for interval,
               cutoff timestamptz, held_by_rollups boolean)
LANGUAGE sql STABLE AS $$
    WITH st AS (
        SELECT coalesce(p_rolled_up_to, max(s.rolled_up_to), '-infinity') AS r,
               coalesce(max(s.grace), interval '5 minutes') AS grace
          FROM performance_rollup_state s
    ), tables (name, table_name, time_column, resolution_s) AS (
        VALUES ('performance_logs', 'performance_logs', 'created_at', NULL::integer),
               ('system_metrics', 'system_metrics', 'recorded_at', NULL),
               ('performance_rollup_1m', 'performance_rollup', 'bucket_start', 60),
               ('performance_rollup_1m', 'performance_rollup_histogram', 'bucket_start', 60),
               ('performance_rollup_10m', 'performance_rollup', 'bucket_start', 600),
               ('performance_rollup_10m', 'performance_rollup_histogram', 'bucket_start', 600),
               ('performance_rollup_1h', 'performance_rollup', 'bucket_start', 3600),
               ('performance_rollup_1h', 'performance_rollup_histogram', 'bucket_start', 3600),
               ('analytics_aggregations', 'analytics_aggregations', 'time_bucket', NULL),
               ('session_purge_audit', 'session_purge_audit', 'purged_at', NULL)
    ), held AS (
        SELECT t.*, p.keep_for, p_now - p.keep_for AS by_age,
               CASE t.name WHEN 'performance_logs' THEN date_trunc('minute', st.r - st.grace)
                           WHEN 'performance_rollup_1m' THEN date_bin('1 hour', date_trunc('minute', st.r - st.grace), timestamptz 'epoch')
                           ELSE 'infinity'::timestamptz END AS by_rollups
          FROM tables t JOIN log_retention p ON p.name = t.name CROSS JOIN st
    )
    SELECT h.name::varchar, h.table_name, h.time_column, h.resolution_s, h.keep_for,
           CASE WHEN h.keep_for IS NOT NULL THEN least(h.by_age, h.by_rollups) END,
           h.keep_for IS NOT NULL AND h.by_rollups < h.by_age
      FROM held h
$$;

-- One batch of one retention period: removes at most p_rows of the oldest
-- rows past its cutoff from each of its tables, claimed with SKIP LOCKED (it
-- never waits on another sweep or writer), and returns what it removed per
-- table (0 and cutoff NULL for a table kept for ever). Run each batch in a
-- transaction of its own (handoff-top sweep does; CALL log_retention_sweep()
-- below does) and repeat until a batch removes nothing (one can remove fewer
-- than p_rows and leave rows: a row a writer updated as the batch claimed it).
CREATE OR REPLACE FUNCTION log_retention_batch(p_name text, p_rows integer DEFAULT 5000, p_now timestamptz DEFAULT now())
RETURNS TABLE (table_name text, removed bigint, cutoff timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
    filter text;
BEGIN
    IF p_rows IS NULL OR p_rows < 1 THEN
        RAISE EXCEPTION 'batch size must be at least 1, got %', p_rows;
    END IF;
    FOR t IN SELECT * FROM log_retention_cutoffs(p_now) c WHERE c.name = p_name ORDER BY c.table_name LOOP
        IF t.cutoff IS NOT NULL THEN
            -- the oldest p_rows rows past the cutoff (the rollups': of one tier), found through the time
            -- column's index and removed by their row address (a TID scan: no join with the table, whose
            -- plan would read all of it every batch); the outer condition again, so a reused address
            -- can never take a newer row
            filter := CASE WHEN t.resolution_s IS NOT NULL THEN format('AND resolution_s = %s', t.resolution_s) ELSE '' END;
            EXECUTE format('DELETE FROM %1$I WHERE ctid = ANY (ARRAY (SELECT ctid FROM %1$I WHERE %2$I < $1 %3$s ORDER BY %2$I LIMIT $2 FOR UPDATE SKIP LOCKED)) AND %2$I < $1 %3$s',
                           t.table_name, t.time_column, filter)
               USING t.cutoff, p_rows;
        END IF;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF t.cutoff IS NULL THEN
            n := 0;
        END IF;
        table_name := t.table_name;
        removed := n;
        cutoff := t.cutoff;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- What the sweep would remove now, per period and table, without removing it
-- (the dry run, the Storage panel). Counts stop at p_cap + 1 (capped says so).
-- A table the caller may not read is reported (readable false), not an error,
-- so the least-privilege monitor role can call it.
CREATE OR REPLACE FUNCTION log_retention_plan(p_now timestamptz DEFAULT now(), p_rolled_up_to timestamptz DEFAULT NULL,
                                              p_cap bigint DEFAULT 1000000)
RETURNS TABLE (name varchar, table_name text, keep_for interval, cutoff timestamptz, held_by_rollups boolean,
               readable boolean, rows_due bigint, capped boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t record;
    n bigint;
BEGIN
    FOR t IN SELECT * FROM log_retention_cutoffs(p_now, p_rolled_up_to) c ORDER BY c.name, c.table_name LOOP
        name := t.name;
        table_name := t.table_name;
        keep_for := t.keep_for;
        cutoff := t.cutoff;
        held_by_rollups := t.held_by_rollups;
        readable := has_table_privilege(t.table_name, 'SELECT');
        rows_due := NULL;
        capped := false;
        IF t.cutoff IS NULL THEN
            rows_due := 0;
        ELSIF readable THEN
            EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I WHERE %I < $1 %s LIMIT $2) s', t.table_name, t.time_column,
                           CASE WHEN t.resolution_s IS NOT NULL THEN format('AND resolution_s = %s', t.resolution_s) ELSE '' END)
               INTO n USING t.cutoff, p_cap + 1;
            capped := n > p_cap;
            rows_due := least(n, p_cap);
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- Every period in batches of p_rows, each batch committed before the next:
-- for pg_cron or psql (CALL log_retention_sweep();), outside a transaction block.
CREATE OR REPLACE PROCEDURE log_retention_sweep(p_rows integer DEFAULT 5000)
LANGUAGE plpgsql AS $$
DECLARE
    p record;
    more boolean;
BEGIN
    FOR p IN SELECT r.name FROM log_retention r ORDER BY r.name LOOP
        LOOP
            SELECT coalesce(bool_or(b.removed > 0), false) INTO more FROM log_retention_batch(p.name, p_rows) b;
            COMMIT;
            EXIT WHEN NOT more;
        END LOOP;
    END LOOP;
END;
$$;

-- refresh_performance_rollups() deletes rollups older than
-- performance_rollup_state.retention from every tier: it follows the longest
-- tier period (for ever: a thousand years), so only the periods above apply.
CREATE OR REPLACE FUNCTION log_retention_rollup_state() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE performance_rollup_state s
       SET retention = (SELECT CASE WHEN count(*) < 3 OR bool_or(r.keep_for IS NULL) THEN interval '1000 years' ELSE max(r.keep_for) END
                          FROM log_retention r WHERE r.name LIKE 'performance\_rollup\_%')
     WHERE s.id = 1;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER log_retention_rollup_state
    AFTER INSERT OR UPDATE OR DELETE ON log_retention
    FOR EACH STATEMENT EXECUTE FUNCTION log_retention_rollup_state();

UPDATE log_retention SET keep_for = keep_for WHERE name = 'performance_rollup_1h';
