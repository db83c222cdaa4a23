-- 005_latency_rollups
-- Rollups of performance_logs for the monitor's performance screen, so its
-- latency table and sparklines never read the raw rows of a whole window
-- (percentile_cont over a day of rows takes seconds at a million rows a day).
--
-- Three tiers, all per operation: 1-minute rows (resolution_s = 60),
-- 10-minute rows (600) and hourly rows (3600), each with calls, failures,
-- sum, min, max, first/last call, the row's own p95, and a log-bucket latency
-- histogram in performance_rollup_histogram. refresh_performance_rollups() builds them from
-- the raw rows; call it every minute from the sweep's scheduler (pg_cron or
-- any cron: SELECT * FROM refresh_performance_rollups()). Each refresh
-- re-aggregates a grace window (default 5 minutes) before its watermark, so
-- rows whose transactions commit late are still counted. Readers
-- (sql/queries/rollup_*.sql) combine rollups below the watermark with the raw
-- rows above it, so results are current whatever the refresh lag; without any
-- refresh they read raw rows only (correct, but slow).
--
-- Histogram buckets: 8 per doubling. Bucket b >= 1 holds durations in
-- [2^((b-1)/8), 2^(b/8)) ms, bucket 0 holds 0 ms. A p95 read from the
-- histogram is the bucket's geometric midpoint (clamped to the whole
-- integers the bucket can hold), so it is within 2^(1/16) - 1 = 4.43 % (4.5 % after rounding to 0.01 ms) of the
-- nearest-rank p95 of the same rows; durations up to 15 ms are exact.
-- performance_monitoring_view stays exact.

CREATE OR REPLACE FUNCTION performance_latency_bucket(p_ms integer) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_ms IS NULL OR p_ms < 1 THEN 0
                ELSE 1 + floor(8 * ln(p_ms::float8) / ln(2::float8) + 1e-9)::integer END::smallint
$$;

-- The value a histogram bucket stands for: its geometric midpoint, clamped to
-- the integers that fall in it (bucket 1 is exactly 1 ms, ...).
CREATE OR REPLACE FUNCTION performance_latency_bucket_value(p_bucket smallint) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_bucket <= 0 THEN 0::numeric
                ELSE round(greatest(ceil(power(2::numeric, (p_bucket - 1) / 8.0)),
                                    least(power(2::numeric, (p_bucket - 0.5) / 8.0),
                                          ceil(power(2::numeric, p_bucket / 8.0)) - 1)), 2) END
$$;

CREATE TABLE IF NOT EXISTS performance_rollup (
    resolution_s integer NOT NULL CHECK (resolution_s IN (60, 600, 3600)),
    bucket_start timestamptz NOT NULL,
    operation varchar(100) NOT NULL,
    calls bigint NOT NULL,
    p95_ms numeric NOT NULL,           -- from the row's histogram (see above)
    failures bigint NOT NULL,
    sum_ms bigint NOT NULL,
    min_ms integer NOT NULL,
    max_ms integer NOT NULL,
    first_call_at timestamptz NOT NULL,
    last_call_at timestamptz NOT NULL,
    PRIMARY KEY (resolution_s, bucket_start, operation)
);

CREATE TABLE IF NOT EXISTS performance_rollup_histogram (
    resolution_s integer NOT NULL CHECK (resolution_s IN (60, 600, 3600)),
    bucket_start timestamptz NOT NULL,
    operation varchar(100) NOT NULL,
    latency_bucket smallint NOT NULL,
    calls bigint NOT NULL,
    PRIMARY KEY (resolution_s, bucket_start, operation, latency_bucket)
);

-- One row: raw rows created at or after rolled_up_to are not rolled up yet.
CREATE TABLE IF NOT EXISTS performance_rollup_state (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    rolled_up_to timestamptz NOT NULL DEFAULT '-infinity',
    grace interval NOT NULL DEFAULT '5 minutes' CHECK (grace >= interval '0'),
    retention interval NOT NULL DEFAULT '8 days' CHECK (retention > interval '0'),
    refreshed_at timestamptz
);
INSERT INTO performance_rollup_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

-- Rebuilds the rows of one coarse tier (600 or 3600 seconds) whose buckets
-- start in [p_from, p_to), from the 1-minute tier.
-- The CTEs' row counts are unknown to the planner (fresh rows, stale
-- statistics): enable_nestloop = off keeps their joins hashed, never quadratic.
CREATE OR REPLACE FUNCTION performance_rollup_tier(p_resolution integer, p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql SET enable_nestloop = off AS $$
DECLARE
    width interval := make_interval(secs => p_resolution);
    n bigint;
BEGIN
    DELETE FROM performance_rollup r WHERE r.resolution_s = p_resolution AND r.bucket_start >= p_from AND r.bucket_start < p_to;
    DELETE FROM performance_rollup_histogram h WHERE h.resolution_s = p_resolution AND h.bucket_start >= p_from AND h.bucket_start < p_to;
    WITH hist AS (
        INSERT INTO performance_rollup_histogram (resolution_s, bucket_start, operation, latency_bucket, calls)
        SELECT p_resolution, date_bin(width, h.bucket_start, timestamptz 'epoch'), h.operation, h.latency_bucket, sum(h.calls)
          FROM performance_rollup_histogram h
         WHERE h.resolution_s = 60 AND h.bucket_start >= p_from AND h.bucket_start < p_to
         GROUP BY 2, 3, 4
        RETURNING bucket_start, operation, latency_bucket, calls
    ), p95 AS (
        SELECT DISTINCT ON (c.bucket_start, c.operation) c.bucket_start, c.operation, c.latency_bucket
          FROM (SELECT hist.*, sum(hist.calls) OVER (PARTITION BY hist.bucket_start, hist.operation ORDER BY hist.latency_bucket) AS running,
                       sum(hist.calls) OVER (PARTITION BY hist.bucket_start, hist.operation) AS total
                  FROM hist) c
         WHERE c.running >= ceil(0.95 * c.total)
         ORDER BY c.bucket_start, c.operation, c.latency_bucket
    )
    INSERT INTO performance_rollup (resolution_s, bucket_start, operation, calls, p95_ms, failures, sum_ms, min_ms, max_ms, first_call_at, last_call_at)
    SELECT p_resolution, s.bucket_start, s.operation, s.calls,
           least(greatest(performance_latency_bucket_value(p95.latency_bucket), s.min_ms), s.max_ms),
           s.failures, s.sum_ms, s.min_ms, s.max_ms, s.first_call_at, s.last_call_at
      FROM (SELECT date_bin(width, r.bucket_start, timestamptz 'epoch') AS bucket_start, r.operation,
                   sum(r.calls) AS calls, sum(r.failures) AS failures, sum(r.sum_ms) AS sum_ms, min(r.min_ms) AS min_ms,
                   max(r.max_ms) AS max_ms, min(r.first_call_at) AS first_call_at, max(r.last_call_at) AS last_call_at
              FROM performance_rollup r
             WHERE r.resolution_s = 60 AND r.bucket_start >= p_from AND r.bucket_start < p_to
             GROUP BY 1, 2) s
      JOIN p95 ON p95.bucket_start = s.bucket_start AND p95.operation = s.operation;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

-- Rolls performance_logs up to the start of the current minute. Only one
-- refresh runs at a time (a second one returns at once, doing nothing). The
-- first run rolls up what retention keeps; later runs redo the grace window
-- before the watermark and everything after it.
CREATE OR REPLACE FUNCTION refresh_performance_rollups(p_now timestamptz DEFAULT now())
RETURNS TABLE (rolled_from timestamptz, rolled_to timestamptz, minute_rows bigint, ten_minute_rows bigint, hour_rows bigint, deleted_rows bigint)
LANGUAGE plpgsql SET enable_nestloop = off AS $$
DECLARE
    st performance_rollup_state%ROWTYPE;
    v_to timestamptz := date_trunc('minute', p_now);
    v_from timestamptz;
    n_minute bigint;
    n_ten bigint;
    n_hour bigint;
    n_deleted bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('handoff_top.refresh_performance_rollups')) THEN
        RETURN;
    END IF;
    SELECT * INTO st FROM performance_rollup_state WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO performance_rollup_state (id) VALUES (1) RETURNING * INTO st;
    END IF;

    IF st.rolled_up_to = '-infinity' THEN
        v_from := date_trunc('minute', coalesce(
            (SELECT min(p.created_at) FROM performance_logs p WHERE p.created_at >= p_now - st.retention), v_to));
    ELSE
        v_from := date_trunc('minute', least(st.rolled_up_to, v_to) - st.grace);
    END IF;
    v_from := least(v_from, v_to);

    -- 1-minute tier: [v_from, v_to), from the raw rows
    DELETE FROM performance_rollup r WHERE r.resolution_s = 60 AND r.bucket_start >= v_from AND r.bucket_start < v_to;
    DELETE FROM performance_rollup_histogram h WHERE h.resolution_s = 60 AND h.bucket_start >= v_from AND h.bucket_start < v_to;
    WITH hist AS (
        INSERT INTO performance_rollup_histogram (resolution_s, bucket_start, operation, latency_bucket, calls)
        SELECT 60, date_trunc('minute', p.created_at), p.operation, performance_latency_bucket(p.duration_ms), count(*)
          FROM performance_logs p
         WHERE p.created_at >= v_from AND p.created_at < v_to
         GROUP BY 2, 3, 4
        RETURNING bucket_start, operation, latency_bucket, calls
    ), p95 AS (
        SELECT DISTINCT ON (c.bucket_start, c.operation) c.bucket_start, c.operation, c.latency_bucket
          FROM (SELECT hist.*, sum(hist.calls) OVER (PARTITION BY hist.bucket_start, hist.operation ORDER BY hist.latency_bucket) AS running,
                       sum(hist.calls) OVER (PARTITION BY hist.bucket_start, hist.operation) AS total
                  FROM hist) c
         WHERE c.running >= ceil(0.95 * c.total)
         ORDER BY c.bucket_start, c.operation, c.latency_bucket
    )
    INSERT INTO performance_rollup (resolution_s, bucket_start, operation, calls, p95_ms, failures, sum_ms, min_ms, max_ms, first_call_at, last_call_at)
    SELECT 60, s.bucket_start, s.operation, s.calls,
           least(greatest(performance_latency_bucket_value(p95.latency_bucket), s.min_ms), s.max_ms),
           s.failures, s.sum_ms, s.min_ms, s.max_ms, s.first_call_at, s.last_call_at
      FROM (SELECT date_trunc('minute', p.created_at) AS bucket_start, p.operation, count(*) AS calls,
                   count(*) FILTER (WHERE NOT p.success) AS failures, sum(p.duration_ms) AS sum_ms,
                   min(p.duration_ms) AS min_ms, max(p.duration_ms) AS max_ms, min(p.created_at) AS first_call_at,
                   max(p.created_at) AS last_call_at
              FROM performance_logs p
             WHERE p.created_at >= v_from AND p.created_at < v_to
             GROUP BY 1, 2) s
      JOIN p95 ON p95.bucket_start = s.bucket_start AND p95.operation = s.operation;
    GET DIAGNOSTICS n_minute = ROW_COUNT;

    -- coarse tiers: every whole bucket touched by [v_from, v_to), from the minute tier
    n_ten := performance_rollup_tier(600, date_bin('10 minutes', v_from, timestamptz 'epoch'), date_bin('10 minutes', v_to, timestamptz 'epoch'));
    n_hour := performance_rollup_tier(3600, date_bin('1 hour', v_from, timestamptz 'epoch'), date_bin('1 hour', v_to, timestamptz 'epoch'));

    -- retention
    DELETE FROM performance_rollup r WHERE r.bucket_start < p_now - st.retention;
    GET DIAGNOSTICS n_deleted = ROW_COUNT;
    DELETE FROM performance_rollup_histogram h WHERE h.bucket_start < p_now - st.retention;

    UPDATE performance_rollup_state SET rolled_up_to = greatest(v_to, st.rolled_up_to), refreshed_at = clock_timestamp() WHERE id = 1;
    RETURN QUERY SELECT v_from, v_to, n_minute, n_ten, n_hour, n_deleted;
END;
$$;
