-- p95 latency and calls per operation in $3 equal buckets from $1 to $2
-- (timestamptz), oldest bucket 0, from the latency rollups
-- (sql/migrations/005_latency_rollups.sql): the same columns as
-- latency_series.sql. Buckets with no calls are absent.
-- Reads 10-minute rollups when a bucket is 10 minutes or wider, else 1-minute
-- rollups (at most ~1 500 rows per operation whatever the data volume), and
-- raw rows only after the rollup watermark.
-- calls, failures: each rollup row is spread over the buckets it overlaps in
-- proportion to the overlap (2 decimals).
-- p95_ms: the calls-weighted mean of the p95 of the rollup rows whose middle
-- falls in the bucket (a row wider than a bucket counts in every bucket it
-- overlaps). Each row's p95 is within 4.5 % of its exact nearest-rank p95; a
-- bucket holding one row (e.g. 1-minute rows in a 1 h window) is within that
-- bound, a wider one lies between the smallest and largest p95 of its rows,
-- as the exact p95 of their union does.
WITH w AS (
    SELECT $1::timestamptz AS s, $2::timestamptz AS e, $3::integer AS n,
           extract(epoch FROM $2::timestamptz - $1::timestamptz)::float8 / $3::integer AS width_s,
           st.rolled_up_to AS r,
           CASE WHEN extract(epoch FROM $2::timestamptz - $1::timestamptz) / $3::integer >= 600
                THEN date_bin('10 minutes', greatest(st.rolled_up_to, $1::timestamptz - interval '10 minutes'), timestamptz 'epoch')
                ELSE timestamptz '-infinity' END AS c1
      FROM performance_rollup_state st WHERE st.id = 1
), rows_in AS (
    -- (operation, start, length in s, calls, failures, p95)
    SELECT r.operation, r.bucket_start AS t, 600.0::float8 AS len, r.calls::float8 AS calls, r.failures::float8 AS failures, r.p95_ms::float8 AS p95
      FROM performance_rollup r, w
     WHERE r.resolution_s = 600 AND r.bucket_start >= w.s - interval '10 minutes' AND r.bucket_start < least(w.c1, w.e)
    UNION ALL
    SELECT r.operation, r.bucket_start, 60.0, r.calls, r.failures, r.p95_ms
      FROM performance_rollup r, w
     WHERE r.resolution_s = 60 AND r.bucket_start >= greatest(w.c1, w.s - interval '1 minute') AND r.bucket_start < least(w.r, w.e)
), raw AS (
    -- not rolled up yet: exact per bucket
    SELECT p.operation, least(floor(extract(epoch FROM p.created_at - w.s) / w.width_s)::integer, w.n - 1) AS bucket,
           count(*)::float8 AS calls, count(*) FILTER (WHERE NOT p.success)::float8 AS failures,
           percentile_disc(0.95) WITHIN GROUP (ORDER BY p.duration_ms)::float8 AS p95
      FROM performance_logs p, w
     WHERE p.created_at >= greatest(w.r, w.s) AND p.created_at < w.e
     GROUP BY 1, 2
), placed AS (
    SELECT ri.*, extract(epoch FROM ri.t - w.s)::float8 AS t0, w.width_s, w.n FROM rows_in ri, w
), spread AS (
    -- every row in every bucket it overlaps, with the overlapping share of the row, and whether it
    -- counts for the bucket's p95 (its middle is in the bucket, or it is wider than a bucket)
    SELECT x.operation, k AS bucket, x.calls, x.failures, x.p95,
           (least(x.t0 + x.len, (k + 1) * x.width_s) - greatest(x.t0, k * x.width_s)) / x.len AS share,
           (x.len > x.width_s OR floor((x.t0 + x.len / 2) / x.width_s) = k) AS for_p95
      FROM placed x
      CROSS JOIN LATERAL generate_series(greatest(floor(x.t0 / x.width_s)::integer, 0),
                                         least(floor((x.t0 + x.len) / x.width_s - 1e-9)::integer, x.n - 1)) AS k
    UNION ALL
    SELECT raw.operation, raw.bucket, raw.calls, raw.failures, raw.p95, 1.0, true FROM raw
), per_bucket AS (
    SELECT operation, bucket,
           sum(calls * share) AS calls,
           sum(failures * share) AS failures,
           sum(calls * p95) FILTER (WHERE for_p95) / nullif(sum(calls) FILTER (WHERE for_p95), 0) AS p95
      FROM spread
     GROUP BY 1, 2
)
SELECT operation, bucket, round(calls::numeric, 2) AS calls, round(failures::numeric, 2) AS failures,
       round(p95::numeric, 2) AS p95_ms
  FROM per_bucket
 WHERE calls > 0
 ORDER BY operation, bucket
