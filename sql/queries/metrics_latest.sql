-- The latest value of every system metric, per (name, labels), among those
-- recorded in the last $1 hours. Steps from series to series along
-- idx_system_metrics_series_latest (migration 007) and reads one row of each,
-- instead of sorting the window's rows.
WITH RECURSIVE series AS (
    (SELECT m.metric_name, m.labels FROM system_metrics m ORDER BY m.metric_name, m.labels LIMIT 1)
    UNION ALL
    SELECT next.metric_name, next.labels
      FROM series s
      CROSS JOIN LATERAL (SELECT m.metric_name, m.labels FROM system_metrics m
                           WHERE (m.metric_name, m.labels) > (s.metric_name, s.labels)
                           ORDER BY m.metric_name, m.labels LIMIT 1) next
)
SELECT latest.metric_name, latest.labels, latest.metric_type, latest.metric_value, latest.recorded_at
  FROM series s
  CROSS JOIN LATERAL ((SELECT m.metric_name, m.labels, m.metric_type, m.metric_value, m.recorded_at
                         FROM system_metrics m
                        WHERE s.labels IS NOT NULL AND m.metric_name = s.metric_name AND m.labels = s.labels
                        ORDER BY m.recorded_at DESC LIMIT 1)
                      UNION ALL
                      -- NULL labels (the handoff server's table allows them): a series of their own
                      (SELECT m.metric_name, m.labels, m.metric_type, m.metric_value, m.recorded_at
                         FROM system_metrics m
                        WHERE s.labels IS NULL AND m.metric_name = s.metric_name AND m.labels IS NULL
                        ORDER BY m.recorded_at DESC LIMIT 1)) latest
 WHERE latest.recorded_at >= now() - make_interval(secs => $1::double precision * 3600)
 ORDER BY latest.metric_name, latest.labels
