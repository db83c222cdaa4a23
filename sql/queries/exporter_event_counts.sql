-- Lifecycle events per type for the exporter's counters (source/exporter),
-- read by the event feed's xid8 cursor (003_live_event_feed.sql): the rows of
-- transactions with $1 <= xid < the snapshot's xmin. Every transaction below
-- xmin has finished, so no row can appear there later: each row is counted
-- once, by the call whose range holds its xid. $1 NULL (first sight of a
-- database): every row below xmin, the database's own count. The new horizon
-- is returned for the next call. One row with NULL event_type when none.
WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
SELECT h.xmin::text AS horizon, c.event_type, c.events
  FROM h
  LEFT JOIN LATERAL (
      SELECT l.event_type, count(*) AS events
        FROM session_lifecycle l
       WHERE ($1::xid8 IS NULL OR l.xid >= $1::xid8)
         AND l.xid < h.xmin
       GROUP BY l.event_type) c ON true
