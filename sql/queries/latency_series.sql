-- p95 latency and calls per operation in $3 equal buckets from $1 to $2
-- (timestamptz), oldest bucket 0. Buckets with no calls are absent.
-- Exact over raw rows; a rollup will replace this file behind the same
-- function (issue 6).
SELECT p.operation,
       least(floor(extract(epoch FROM p.created_at - $1::timestamptz)
                   / extract(epoch FROM $2::timestamptz - $1::timestamptz) * $3::integer),
             $3::integer - 1)::integer AS bucket,
       count(*) AS calls,
       count(*) FILTER (WHERE NOT p.success) AS failures,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY p.duration_ms) AS p95_ms
  FROM performance_logs p
 WHERE p.created_at >= $1::timestamptz AND p.created_at < $2::timestamptz
 GROUP BY p.operation, 2
 ORDER BY p.operation, 2
