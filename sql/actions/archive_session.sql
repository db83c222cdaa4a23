-- Archives one session now. Archived sessions are read-only afterwards; the
-- log_session_lifecycle trigger records an 'archived' event.
UPDATE sessions
   SET archived_at = now()
 WHERE id = $1 AND archived_at IS NULL
RETURNING id, session_key;
