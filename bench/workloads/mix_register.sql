-- (b) Register a session.
INSERT INTO sessions (session_key, agent_from, agent_to, expires_at, metadata)
VALUES ('reg-' || nextval('bench_seq'), 'claude-code', 'cursor-agent', now() + interval '24 hours', '{"project": "bench", "branch": "main"}');
