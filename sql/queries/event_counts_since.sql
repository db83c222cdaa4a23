-- Lifecycle events per second and type in the last $2 minutes, read
-- incrementally for the header's rates (source/queries/events.ts,
-- EventCountsTracker): only rows with xid >= $1, the horizon the previous
-- call returned. Rows below the snapshot's xmin are final (every transaction
-- there has finished): the caller keeps their counts and never reads them
-- again. Rows at or above it (transactions that finished while an older one
-- still runs) are counted for this answer only and read again next time.
-- Together they give what counting the whole window would.
-- $1 the previous horizon (xid8 as text; NULL: the first call), $2 window in
-- minutes. One row with NULL second when there are no events.
WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin, now() AS server_now)
SELECT h.xmin::text AS horizon, h.server_now, c.final, c.second, c.event_type, c.events
  FROM h
  LEFT JOIN LATERAL (
      SELECT l.xid < h.xmin AS final, date_trunc('second', l.created_at) AS second, l.event_type, count(*) AS events
        FROM session_lifecycle l
       WHERE ($1::xid8 IS NULL OR l.xid >= $1::xid8)
         AND l.created_at >= h.server_now - make_interval(mins => $2::integer)
       GROUP BY 1, 2, 3) c ON true
