-- The dormant screen: dormant sessions, and live ones whose next lifecycle
-- step (dormant, expire, archive) falls due within $1 hours, with that step
-- and when it is due (session_lifecycle_schedule, the sweep's own schedule).
-- Overdue steps wait for the next sweep. $2 limit.
--
-- Candidates first, each list one range of an index (idx_sessions_lifecycle_due,
-- idx_sessions_expiry_by_policy, idx_sessions_expires_at_live,
-- idx_sessions_dormant_last_activity) stopping after $2 rows:
-- within one step and one retention policy the due time grows with
-- last_activity_at (dormant, archive) or created_at (expire), so the soonest
-- $2 of every (step, policy) together hold the soonest $2 overall. Rows that
-- predate last_activity_at (NULL) and explicit expires_at values are taken
-- from their own lists.
WITH RECURSIVE used_policies (name) AS (
    -- the policies some session uses, by a skip scan of idx_sessions_retention_policy
    -- (an unused one would make its lists below scan a whole index for nothing)
    SELECT min(s.retention_policy)::varchar FROM sessions s
    UNION ALL
    SELECT (SELECT min(s.retention_policy) FROM sessions s WHERE s.retention_policy > u.name)::varchar
      FROM used_policies u WHERE u.name IS NOT NULL
), live_policies AS (
    SELECT p.name, p.dormant_after, p.session_ttl, p.archive_after
      FROM retention_policies p JOIN used_policies u ON u.name = p.name
), candidates AS (
    (SELECT s.id FROM sessions s
      WHERE s.is_dormant AND s.archived_at IS NULL
      ORDER BY s.is_dormant, s.last_activity_at LIMIT $2)
    UNION
    (SELECT x.id FROM live_policies p CROSS JOIN LATERAL (
        SELECT s.id FROM sessions s
         WHERE s.retention_policy = p.name AND s.status = 'active' AND s.is_dormant = false
           AND s.archived_at IS NULL AND s.last_activity_at IS NOT NULL
         ORDER BY s.last_activity_at LIMIT $2) x
      WHERE p.dormant_after IS NOT NULL)
    UNION
    (SELECT x.id FROM live_policies p CROSS JOIN LATERAL (
        SELECT s.id FROM sessions s
         WHERE s.retention_policy = p.name AND s.expires_at IS NULL AND s.archived_at IS NULL
           AND s.status NOT IN ('expired', 'completed', 'cancelled')
         ORDER BY s.created_at LIMIT $2) x
      WHERE p.session_ttl IS NOT NULL)
    UNION
    (SELECT s.id FROM sessions s
      WHERE s.expires_at IS NOT NULL AND s.archived_at IS NULL
        AND s.status NOT IN ('expired', 'completed', 'cancelled')
      ORDER BY s.expires_at LIMIT $2)
    UNION
    (SELECT x.id FROM live_policies p
      CROSS JOIN (VALUES ('expired'), ('completed'), ('cancelled')) ended (status)
      CROSS JOIN (VALUES (false), (true)) dormant (flag)
      CROSS JOIN LATERAL (
        SELECT s.id FROM sessions s
         WHERE s.retention_policy = p.name AND s.status = ended.status AND s.is_dormant = dormant.flag
           AND s.archived_at IS NULL
         ORDER BY s.last_activity_at LIMIT $2) x
      WHERE p.archive_after IS NOT NULL)
    UNION
    (SELECT s.id FROM sessions s
      WHERE s.last_activity_at IS NULL AND s.archived_at IS NULL
      ORDER BY s.updated_at NULLS FIRST LIMIT $2)
), next AS (
    SELECT c.id, c.session_key, c.status, c.is_dormant, c.retention_policy, c.effective_last_activity_at,
           CASE WHEN c.status NOT IN ('expired', 'completed', 'cancelled') THEN c.expires_due_at END AS expire_at,
           CASE WHEN c.status = 'active' AND NOT c.is_dormant THEN c.dormant_due_at END AS dormant_at,
           c.archive_due_at
      FROM session_lifecycle_schedule c
     WHERE c.id IN (SELECT candidates.id FROM candidates) AND c.archived_at IS NULL
), ranked AS (
    SELECT n.*, least(n.expire_at, n.dormant_at, n.archive_due_at) AS next_due_at FROM next n
)
SELECT r.id, r.session_key, s.agent_from, s.agent_to, r.status, r.is_dormant, r.retention_policy,
       r.effective_last_activity_at AS last_activity_at,
       round((extract(epoch FROM now() - r.effective_last_activity_at) / 3600)::numeric, 2) AS hours_since_activity,
       CASE r.next_due_at
            WHEN r.expire_at THEN 'expire'
            WHEN r.dormant_at THEN 'dormant'
            WHEN r.archive_due_at THEN 'archive' END AS next_step,
       r.next_due_at,
       r.next_due_at <= now() AS overdue
  FROM ranked r
  JOIN sessions s ON s.id = r.id
 WHERE r.is_dormant
    OR r.next_due_at <= now() + make_interval(secs => $1::double precision * 3600)
 ORDER BY r.is_dormant DESC, r.next_due_at NULLS LAST, r.session_key
 LIMIT $2
