-- One page of handoff_top_session_view, most context entries first (newest
-- session first among equal counts).
-- $1 status filter: NULL (all), 'dormant', 'archived', or a sessions.status
-- value; $2 page size; $3 offset; $4 see below.
-- Counts come from session_activity_counts (migration 007): the top of its
-- index for sessions without newer rows, an exact recount for the sessions
-- created or with context since its last refresh (less the grace window) -
-- so the page is exact and only a page's worth of counts is read. Never
-- refreshed, every session is recounted (correct, slow). A status filter
-- that at most $4 sessions match (the monitor: 1000) counts those sessions
-- instead: walking the counts for a page of them would read most of the index.
WITH since AS (
    SELECT coalesce((SELECT st.counted_through - st.grace FROM session_activity_counts_state st WHERE st.id = 1),
                    '-infinity'::timestamptz) AS t
),
recent AS (
    SELECT c.session_id AS id FROM context_history c, since WHERE c.created_at >= since.t AND c.session_id IS NOT NULL
    UNION
    SELECT s.id FROM sessions s, since WHERE s.created_at >= since.t
    UNION
    -- never refreshed: every session (a one-time filter, skipped otherwise)
    SELECT s.id FROM sessions s WHERE (SELECT since.t FROM since) = '-infinity'::timestamptz
),
-- the filter's first $4 + 1 sessions: read once, counted by few, and the
-- candidates themselves when there are no more than $4
matches AS (
    SELECT x.id, x.created_at FROM sessions x
     WHERE ($1::text = 'dormant' AND x.is_dormant AND x.archived_at IS NULL)
        OR ($1::text = 'archived' AND x.archived_at IS NOT NULL)
        OR x.status = $1::text
     LIMIT $4::int + 1
),
few AS (
    SELECT $1::text IS NOT NULL AND (SELECT count(*) FROM matches) <= $4::int AS yes
),
-- LATERAL look-ups (LIMIT 1 keeps them from being flattened into joins): one
-- index probe per row, whatever the planner guesses of the time ranges above.
-- (SELECT yes FROM few) is a one-time filter: only one way runs.
candidates AS (
    SELECT m.id, (SELECT count(*) FROM context_history c WHERE c.session_id = m.id) AS n, m.created_at
      FROM matches m
     WHERE (SELECT f.yes FROM few f)
    UNION ALL
    SELECT s.id, (SELECT count(*) FROM context_history c WHERE c.session_id = s.id) AS n, s.created_at
      FROM recent r
      CROSS JOIN LATERAL (SELECT x.id, x.created_at FROM sessions x
                           WHERE x.id = r.id
                             AND ($1::text IS NULL
                                  OR ($1::text = 'dormant' AND x.is_dormant AND x.archived_at IS NULL)
                                  OR ($1::text = 'archived' AND x.archived_at IS NOT NULL)
                                  OR x.status = $1::text)
                           LIMIT 1) s
     WHERE NOT (SELECT f.yes FROM few f)
    UNION ALL
    (SELECT s.id, a.context_count, a.session_created_at
       FROM session_activity_counts a
       CROSS JOIN LATERAL (SELECT x.id FROM sessions x
                            WHERE x.id = a.session_id
                              AND ($1::text IS NULL
                                   OR ($1::text = 'dormant' AND x.is_dormant AND x.archived_at IS NULL)
                                   OR ($1::text = 'archived' AND x.archived_at IS NOT NULL)
                                   OR x.status = $1::text)
                            LIMIT 1) s
      WHERE NOT (SELECT f.yes FROM few f)
        AND a.session_id NOT IN (SELECT r.id FROM recent r)   -- a hashed look-up per row
      ORDER BY a.context_count DESC, a.session_created_at DESC NULLS LAST
      LIMIT $2::bigint + $3::bigint)
),
page AS (
    SELECT c.id, c.n, c.created_at FROM candidates c
     ORDER BY c.n DESC, c.created_at DESC NULLS LAST, c.id
     LIMIT $2 OFFSET $3
)
SELECT v.id, v.session_key, v.agent_from, v.agent_to, v.status, v.created_at, v.updated_at, v.expires_at,
       v.last_activity_at, v.is_dormant, v.archived_at, v.retention_policy, v.hours_since_activity,
       v.context_count, v.handoff_count, v.last_lifecycle_event, v.last_lifecycle_event_at
  FROM page p JOIN handoff_top_session_view v ON v.id = p.id
 ORDER BY p.n DESC, p.created_at DESC NULLS LAST, p.id
