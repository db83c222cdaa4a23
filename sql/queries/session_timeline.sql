-- A session's most recent lifecycle events, newest first ($1 session id, $2 at
-- most this many), as the detail view lists them.
SELECT l.id, l.seq, l.xid::text AS xid, l.event_type, l.event_data, l.created_at
  FROM session_lifecycle l
 WHERE l.session_id = $1::uuid
 ORDER BY l.created_at DESC, l.seq DESC
 LIMIT $2
