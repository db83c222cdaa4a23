-- request_handoff: $1 session, $2 requesting agent, $3 target, $4 type, $5 request data.
INSERT INTO handoff_requests (session_id, requesting_agent, target_agent, request_type, request_data)
SELECT s.id, $2, $3, $4, $5::jsonb
  FROM sessions s
 WHERE s.id = $1 AND s.archived_at IS NULL
RETURNING id;
