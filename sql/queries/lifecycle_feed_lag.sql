-- Is a running transaction holding the feed back? Committed events at or
-- above the snapshot's xmin cannot be delivered until it finishes.
-- xact_age_ms is NULL when the role may not see the other backend's details.
WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
SELECT h.xmin::text AS xmin,
       EXISTS (SELECT 1 FROM session_lifecycle l WHERE l.xid >= h.xmin) AS waiting,
       (SELECT round(extract(epoch FROM clock_timestamp() - min(a.xact_start)) * 1000)
          FROM pg_stat_activity a
         WHERE a.backend_xid::text = (h.xmin::text::numeric % 4294967296)::text) AS xact_age_ms
  FROM h
