-- Objects every benchmark database gets, whatever its schema: a sequence for
-- unique keys and sequence numbers, and the seeded sessions bench-1..bench-N
-- (:sessions, set by the driver through a psql-free literal replace).
CREATE SEQUENCE IF NOT EXISTS bench_seq;
INSERT INTO sessions (session_key, agent_from, agent_to, status, expires_at)
SELECT 'bench-' || g, 'claude-code', 'cursor-agent', 'active', now() + interval '24 hours'
  FROM generate_series(1, :sessions) g;
