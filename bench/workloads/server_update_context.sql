-- (c) update_context as the handoff server sends it (src/mcp/tools/updateContext.ts, then
-- DatabaseManager.addContextEntry): the session's activity first, then the context row.
-- The server numbers the row with SELECT max(sequence_number) + 1; a sequence stands in for it
-- here so that concurrent clients never collide on UNIQUE (session_id, sequence_number).
\set n random(1, :sessions)
UPDATE sessions SET last_activity_at = NOW(), updated_at = NOW() WHERE session_key = 'bench-' || :n;
INSERT INTO context_history (session_id, sequence_number, context_type, content, metadata)
SELECT s.id, nextval('bench_seq'), 'message', repeat('context line ', 32), '{"tokens": 96}'
  FROM sessions s WHERE s.session_key = 'bench-' || :n;
