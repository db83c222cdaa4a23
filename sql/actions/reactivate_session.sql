-- Reactivates one dormant session: activity now, dormant flag cleared; the
-- log_session_lifecycle trigger records a 'reactivated' event.
UPDATE sessions
   SET is_dormant = false, last_activity_at = now()
 WHERE id = $1 AND is_dormant AND archived_at IS NULL
RETURNING id, session_key;
