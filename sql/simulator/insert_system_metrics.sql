-- A batch of system_metrics from a JSON array.
INSERT INTO system_metrics (metric_name, metric_value, metric_type, labels, recorded_at)
SELECT r.metric_name, r.metric_value, r.metric_type, coalesce(r.labels, '{}'), coalesce(r.recorded_at, now())
  FROM jsonb_to_recordset($1::jsonb)
       AS r(metric_name text, metric_value numeric, metric_type text, labels jsonb, recorded_at timestamptz);
