-- One metric in $5 equal buckets from $3 to $4 (timestamptz), oldest bucket
-- 0: average, max and last value per bucket. $1 metric name; $2 labels (jsonb,
-- exact match) or NULL for every label set. Empty buckets are absent.
SELECT least(floor(extract(epoch FROM m.recorded_at - $3::timestamptz)
                   / extract(epoch FROM $4::timestamptz - $3::timestamptz) * $5::integer),
             $5::integer - 1)::integer AS bucket,
       avg(m.metric_value) AS avg_value,
       max(m.metric_value) AS max_value,
       (array_agg(m.metric_value ORDER BY m.recorded_at DESC))[1] AS last_value,
       count(*) AS samples
  FROM system_metrics m
 WHERE m.metric_name = $1::text
   AND ($2::jsonb IS NULL OR m.labels = $2::jsonb)
   AND m.recorded_at >= $3::timestamptz AND m.recorded_at < $4::timestamptz
 GROUP BY 1
 ORDER BY 1
