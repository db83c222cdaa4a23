-- Per-operation statistics over the last 24 hours from the latency rollups
-- (sql/migrations/005_latency_rollups.sql): the same columns as
-- performance_by_operation.sql, plus first_call_at. Calls, failures, success
-- rate, avg, min, max, first and last call are exact for the window; p95 comes
-- from the merged log-bucket histograms (within 4.5 % of the exact
-- nearest-rank p95). The window is tiled with hourly rollups for its whole
-- hours, 10-minute rollups for the whole 10-minute buckets at its edges,
-- 1-minute rollups for the rest up to the watermark, and raw rows only for
-- its first partial minute and what is not rolled up yet.
WITH w0 AS (
    SELECT now() - interval '24 hours' AS s, st.rolled_up_to AS r
      FROM performance_rollup_state st WHERE st.id = 1
), w1 AS (
    SELECT w0.s,
           date_bin('1 minute', w0.s + interval '1 minute' - interval '1 microsecond', timestamptz 'epoch') AS m0,
           date_bin('10 minutes', w0.s + interval '10 minutes' - interval '1 microsecond', timestamptz 'epoch') AS t0,
           date_bin('1 hour', w0.s + interval '1 hour' - interval '1 microsecond', timestamptz 'epoch') AS h0,
           w0.r
      FROM w0
), w2 AS (
    SELECT w1.*, greatest(w1.r, w1.m0) AS rc FROM w1
), w AS (
    SELECT w2.*,
           greatest(date_bin('10 minutes', w2.rc, timestamptz 'epoch'), w2.t0) AS t1,
           greatest(date_bin('1 hour', w2.rc, timestamptz 'epoch'), w2.h0) AS h1
      FROM w2
), tiles AS (
    -- (resolution, from, to): the rollup rows whose buckets start in [from, to)
    SELECT 3600 AS res, w.h0 AS f, w.h1 AS t FROM w
    UNION ALL SELECT 600, w.t0, least(w.h0, w.t1) FROM w
    UNION ALL SELECT 600, greatest(w.h1, least(w.h0, w.t1)), w.t1 FROM w
    UNION ALL SELECT 60, w.m0, least(w.t0, w.rc) FROM w
    UNION ALL SELECT 60, greatest(w.t1, least(w.t0, w.rc)), w.rc FROM w
), raw AS (
    SELECT p.operation, p.duration_ms, p.success, p.created_at FROM performance_logs p, w
     WHERE (p.created_at >= w.s AND p.created_at < w.m0) OR p.created_at >= w.rc
), parts AS (
    SELECT r.operation, r.calls, r.failures, r.sum_ms, r.min_ms, r.max_ms, r.first_call_at, r.last_call_at
      FROM tiles x JOIN performance_rollup r ON r.resolution_s = x.res AND r.bucket_start >= x.f AND r.bucket_start < x.t
     WHERE x.t > x.f
    UNION ALL
    SELECT operation, count(*), count(*) FILTER (WHERE NOT success), sum(duration_ms), min(duration_ms), max(duration_ms),
           min(created_at), max(created_at)
      FROM raw GROUP BY operation
), summary AS (
    SELECT operation, sum(calls) AS calls, sum(failures) AS failures, sum(sum_ms) AS sum_ms,
           min(min_ms) AS min_ms, max(max_ms) AS max_ms, min(first_call_at) AS first_call_at, max(last_call_at) AS last_call_at
      FROM parts GROUP BY operation
), hist AS (
    SELECT h.operation, h.latency_bucket, sum(h.calls) AS calls
      FROM (SELECT h.operation, h.latency_bucket, h.calls
              FROM tiles x JOIN performance_rollup_histogram h ON h.resolution_s = x.res AND h.bucket_start >= x.f AND h.bucket_start < x.t
             WHERE x.t > x.f
            UNION ALL
            SELECT raw.operation, performance_latency_bucket(raw.duration_ms), 1 FROM raw) h
     GROUP BY 1, 2
), cumulative AS (
    SELECT hist.operation, hist.latency_bucket,
           sum(hist.calls) OVER (PARTITION BY hist.operation ORDER BY hist.latency_bucket) AS running
      FROM hist
), p95 AS (
    SELECT DISTINCT ON (c.operation) c.operation, c.latency_bucket
      FROM cumulative c JOIN summary s ON s.operation = c.operation
     WHERE c.running >= ceil(0.95 * s.calls)
     ORDER BY c.operation, c.latency_bucket
)
SELECT s.operation,
       s.calls AS total_calls,
       s.calls - s.failures AS successful_calls,
       s.failures AS failed_calls,
       round(100.0 * (s.calls - s.failures) / s.calls, 2) AS success_rate_percent,
       round(s.sum_ms::numeric / s.calls, 2) AS avg_duration_ms,
       s.min_ms AS min_duration_ms,
       s.max_ms AS max_duration_ms,
       least(greatest(performance_latency_bucket_value(p.latency_bucket), s.min_ms), s.max_ms) AS p95_duration_ms,
       s.first_call_at,
       s.last_call_at
  FROM summary s
  JOIN p95 p ON p.operation = s.operation
 WHERE s.calls > 0
 ORDER BY s.operation
