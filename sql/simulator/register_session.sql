-- register_session: $1 key, $2 agent_from, $3 agent_to, $4 retention policy,
-- $5 expires in ms (NULL: the policy decides), $6 metadata.
INSERT INTO sessions (session_key, agent_from, agent_to, status, retention_policy, expires_at, metadata)
VALUES ($1, $2, $3, 'active', $4,
        now() + make_interval(secs => $5::double precision / 1000),
        $6::jsonb)
RETURNING id;
