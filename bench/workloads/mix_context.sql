-- (b) Append context to a session (activity).
\set n random(1, :sessions)
INSERT INTO context_history (session_id, sequence_number, context_type, content, metadata)
SELECT s.id, nextval('bench_seq'), 'message', repeat('context line ', 32), '{"tokens": 96}'
  FROM sessions s WHERE s.session_key = 'bench-' || :n;
