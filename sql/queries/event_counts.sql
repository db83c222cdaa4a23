-- Lifecycle events per minute and type over the last $1 minutes (the
-- header's rates). Minutes with no events are absent.
SELECT date_trunc('minute', l.created_at) AS minute, l.event_type, count(*) AS events
  FROM session_lifecycle l
 WHERE l.created_at >= now() - make_interval(mins => $1::integer)
 GROUP BY 1, 2
 ORDER BY 1, 2
