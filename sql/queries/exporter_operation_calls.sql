-- Calls per operation and latency bucket for the exporter's counters and
-- histogram (source/exporter): performance_logs created in [$1, now() - $2
-- seconds), bucketed by migration 005's performance_latency_bucket (the
-- latency rollups' own histogram buckets). $1 NULL: only the new edge (the
-- first sight of a database counts from then on). The range is read from
-- the created_at index: a scrape reads what was logged since the previous one.
-- One row with NULL operation when there were no calls.
WITH e AS (SELECT now() - make_interval(secs => $2::float8) AS edge)
SELECT e.edge AS next_from, c.operation, c.latency_bucket, c.calls, c.failures, c.sum_ms
  FROM e
  LEFT JOIN LATERAL (
      SELECT p.operation, performance_latency_bucket(p.duration_ms) AS latency_bucket, count(*) AS calls,
             count(*) FILTER (WHERE NOT p.success) AS failures, sum(p.duration_ms) AS sum_ms
        FROM performance_logs p
       WHERE $1::timestamptz IS NOT NULL
         AND p.created_at >= $1::timestamptz
         AND p.created_at < e.edge
       GROUP BY 1, 2) c ON true
