-- The newest $1 lifecycle events, newest first in the feed's (xid, seq) order
-- (snapshot's live-events panel; the live screen itself follows the feed).
SELECT l.id, l.seq, l.xid::text AS xid, l.session_id, s.session_key, s.agent_from, s.agent_to,
       l.event_type, l.event_data, l.created_at
  FROM session_lifecycle l
  LEFT JOIN sessions s ON s.id = l.session_id
 ORDER BY l.xid DESC, l.seq DESC
 LIMIT $1
