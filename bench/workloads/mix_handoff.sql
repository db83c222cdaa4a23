-- (b) Request a handoff (activity).
\set n random(1, :sessions)
INSERT INTO handoff_requests (session_id, requesting_agent, target_agent, request_data)
SELECT s.id, 'claude-code', 'devin', '{"reason": "bench"}'
  FROM sessions s WHERE s.session_key = 'bench-' || :n;
