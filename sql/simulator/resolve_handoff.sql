-- accept / reject / complete a handoff: $1 request, $2 expected status, $3 new status.
-- Rejected and completed requests get completed_at.
UPDATE handoff_requests h
   SET status = $3::varchar,
       completed_at = CASE WHEN $3::varchar IN ('completed', 'rejected') THEN now() END
  FROM sessions s
 WHERE h.id = $1 AND h.status = $2::varchar
   AND s.id = h.session_id AND s.archived_at IS NULL
RETURNING h.id;
