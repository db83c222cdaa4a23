-- Lifecycle events after the cursor, in commit-safe order (xid, seq).
-- Only transactions below the snapshot's xmin are read: every one of them has
-- finished, so no row can later appear behind the cursor.
-- $1 cursor xid (xid8 as text), $2 cursor seq, $3 only events created at or
-- after this time (NULL: all), $4 a start snapshot whose committed rows are
-- skipped ('now' start; NULL: none), $5 batch size.
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
 WHERE (l.xid, l.seq) > ($1::xid8, $2::bigint)
   AND l.xid < pg_snapshot_xmin(pg_current_snapshot())
   AND ($3::timestamptz IS NULL OR l.created_at >= $3::timestamptz)
   AND ($4::pg_snapshot IS NULL OR NOT pg_visible_in_snapshot(l.xid, $4::pg_snapshot))
 ORDER BY l.xid, l.seq
 LIMIT $5
