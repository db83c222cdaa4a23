-- The newest $2 lifecycle events committed before a 'now' start, newest first:
-- exactly the rows visible in the start snapshot ($1), which the feed itself
-- then skips, so history and the live feed meet with no duplicate and no gap.
SELECT l.id,
       l.seq,
       l.xid::text AS xid,
       l.session_id,
       s.session_key,
       s.agent_from,
       s.agent_to,
       l.event_type,
       l.event_data,
       l.created_at
  FROM session_lifecycle l
  LEFT JOIN sessions s ON s.id = l.session_id
 WHERE pg_visible_in_snapshot(l.xid, $1::pg_snapshot)
 ORDER BY l.xid DESC, l.seq DESC
 LIMIT $2
