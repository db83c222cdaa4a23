-- The latest value of every system metric, per (name, labels), among those
-- recorded in the last $1 hours.
SELECT DISTINCT ON (m.metric_name, m.labels)
       m.metric_name, m.labels, m.metric_type, m.metric_value, m.recorded_at
  FROM system_metrics m
 WHERE m.recorded_at >= now() - make_interval(secs => $1::double precision * 3600)
 ORDER BY m.metric_name, m.labels, m.recorded_at DESC
