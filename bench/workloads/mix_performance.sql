-- (b) Log an operation's performance.
\set n random(1, :sessions)
\set d random(1, 250)
INSERT INTO performance_logs (operation, duration_ms, success, session_id, metadata)
SELECT 'update_context', :d, :d < 240, s.id, '{"agent": "claude-code"}'
  FROM sessions s WHERE s.session_key = 'bench-' || :n;
