-- A session's lifecycle events, oldest first ($1 session id, $2 at most this
-- many: the most recent ones).
SELECT t.id, t.seq, t.xid, t.event_type, t.event_data, t.created_at
  FROM (SELECT l.id, l.seq, l.xid::text AS xid, l.event_type, l.event_data, l.created_at
          FROM session_lifecycle l
         WHERE l.session_id = $1::uuid
         ORDER BY l.created_at DESC, l.seq DESC
         LIMIT $2) t
 ORDER BY t.created_at, t.seq
