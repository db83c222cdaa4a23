-- 008_sweep_dry_run
-- lifecycle_sweep(p_dry_run => true) listed each step as the database stood
-- before the sweep, so a session one pass both expires and archives (past its
-- expiry and its policy's archive_after, as on the first sweep of a database
-- or after the sweep was off for a while) showed up as "expire" only, and one
-- archived and purged in the same pass (purge_after zero) as "archive" only.
-- The dry run now follows the steps in order, as the real sweep does; the
-- real sweep is unchanged.

CREATE OR REPLACE FUNCTION lifecycle_sweep(
    p_dry_run boolean DEFAULT false,
    p_now timestamptz DEFAULT now(),
    p_limit integer DEFAULT 10000
) RETURNS TABLE (action text, session_id uuid, session_key varchar, retention_policy varchar, detail jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_dry_run THEN
        -- What the steps below would do, in their order: a session this pass
        -- expires is archived in the same pass when its archive time (from the
        -- expires_at the expiry sets) has come, and a session archived now is
        -- purged too when its policy's purge_after is zero.
        RETURN QUERY
        WITH expire AS (
            SELECT c.id, c.session_key, c.retention_policy, c.status, c.expires_due_at
              FROM session_lifecycle_schedule c
             WHERE c.archived_at IS NULL AND c.status NOT IN ('expired', 'completed', 'cancelled')
               AND c.expires_due_at <= p_now
             ORDER BY c.expires_due_at LIMIT p_limit
        ), dormant AS (
            SELECT c.id, c.session_key, c.retention_policy, c.effective_last_activity_at, c.dormant_due_at
              FROM session_lifecycle_schedule c
             WHERE NOT c.is_dormant AND c.archived_at IS NULL AND c.status = 'active'
               AND c.dormant_due_at <= p_now
               AND NOT coalesce(c.expires_due_at <= p_now, false)
             ORDER BY c.dormant_due_at LIMIT p_limit
        ), archive AS (
            SELECT x.id, x.session_key, x.retention_policy, x.status, x.due
              FROM (SELECT c.id, c.session_key, c.retention_policy, c.status::text AS status, c.archive_due_at AS due
                      FROM session_lifecycle_schedule c
                     WHERE c.archived_at IS NULL AND c.archive_due_at <= p_now
                    UNION ALL
                    -- expired by this pass: expires_at becomes its due time, and
                    -- updated_at (last activity's fallback) becomes now()
                    SELECT e.id, e.session_key, e.retention_policy, 'expired',
                           greatest(e.expires_due_at, coalesce(s.last_activity_at, now())) + p.archive_after
                      FROM expire e
                      JOIN sessions s ON s.id = e.id
                      JOIN retention_policies p ON p.name = e.retention_policy
                     WHERE greatest(e.expires_due_at, coalesce(s.last_activity_at, now())) + p.archive_after <= p_now) x
             ORDER BY x.due LIMIT p_limit
        ), purge AS (
            SELECT x.id, x.session_key, x.retention_policy, x.archived_at, x.due
              FROM (SELECT c.id, c.session_key, c.retention_policy, c.archived_at, c.purge_due_at AS due
                      FROM session_lifecycle_schedule c
                     WHERE c.archived_at IS NOT NULL AND c.purge_due_at <= p_now
                    UNION ALL
                    SELECT a.id, a.session_key, a.retention_policy, p_now, p_now + p.purge_after
                      FROM archive a
                      JOIN retention_policies p ON p.name = a.retention_policy
                     WHERE p_now + p.purge_after <= p_now) x
             ORDER BY x.due LIMIT p_limit
        )
        SELECT r.action, r.id, r.session_key, r.retention_policy, r.detail
          FROM (SELECT 1 AS step, 'expire'::text AS action, e.id, e.session_key, e.retention_policy, e.expires_due_at AS due,
                       jsonb_build_object('old_status', e.status, 'expires_at', e.expires_due_at) AS detail
                  FROM expire e
                UNION ALL
                SELECT 2, 'dormant', d.id, d.session_key, d.retention_policy, d.dormant_due_at,
                       jsonb_build_object('last_activity_at', d.effective_last_activity_at)
                  FROM dormant d
                UNION ALL
                SELECT 3, 'archive', a.id, a.session_key, a.retention_policy, a.due,
                       jsonb_build_object('status', a.status)
                  FROM archive a
                UNION ALL
                SELECT 4, 'purge', u.id, u.session_key, u.retention_policy, u.due,
                       jsonb_build_object('archived_at', u.archived_at)
                  FROM purge u) r
         ORDER BY r.step, r.due;
        RETURN;
    END IF;

    PERFORM set_config('handoff_top.lifecycle_reason', 'sweep', true);

    RETURN QUERY
    WITH due AS (
        SELECT c.id, c.status, c.expires_due_at FROM session_lifecycle_schedule c
         WHERE c.archived_at IS NULL AND c.status NOT IN ('expired', 'completed', 'cancelled')
           AND c.expires_due_at <= p_now
         ORDER BY c.expires_due_at LIMIT p_limit
    ), claimed AS (
        SELECT s.id, due.status AS old_status, due.expires_due_at
          FROM sessions s JOIN due ON due.id = s.id
         FOR UPDATE OF s SKIP LOCKED
    ), done AS (
        UPDATE sessions s SET status = 'expired', expires_at = claimed.expires_due_at
          FROM claimed WHERE s.id = claimed.id AND s.status = claimed.old_status
        RETURNING s.id, s.session_key, s.retention_policy, claimed.old_status, s.expires_at
    )
    SELECT 'expire'::text, d.id, d.session_key, d.retention_policy,
           jsonb_build_object('old_status', d.old_status, 'expires_at', d.expires_at)
      FROM done d;

    RETURN QUERY
    WITH claimed AS (
        SELECT s.id, c.effective_last_activity_at
          FROM sessions s JOIN session_lifecycle_schedule c ON c.id = s.id
         WHERE NOT c.is_dormant AND c.archived_at IS NULL AND c.status = 'active'
           AND c.dormant_due_at <= p_now
           AND NOT coalesce(c.expires_due_at <= p_now, false)   -- due to expire: left for the next sweep's expiry
         ORDER BY c.dormant_due_at LIMIT p_limit
         FOR UPDATE OF s SKIP LOCKED
    ), done AS (
        UPDATE sessions s SET is_dormant = true
          FROM claimed WHERE s.id = claimed.id AND NOT s.is_dormant
        RETURNING s.id, s.session_key, s.retention_policy, claimed.effective_last_activity_at
    )
    SELECT 'dormant'::text, d.id, d.session_key, d.retention_policy,
           jsonb_build_object('last_activity_at', d.effective_last_activity_at)
      FROM done d;

    RETURN QUERY
    WITH claimed AS (
        SELECT s.id
          FROM sessions s JOIN session_lifecycle_schedule c ON c.id = s.id
         WHERE c.archived_at IS NULL AND c.archive_due_at <= p_now
         ORDER BY c.archive_due_at LIMIT p_limit
         FOR UPDATE OF s SKIP LOCKED
    ), done AS (
        UPDATE sessions s SET archived_at = p_now
          FROM claimed WHERE s.id = claimed.id AND s.archived_at IS NULL
        RETURNING s.id, s.session_key, s.retention_policy, s.status
    )
    SELECT 'archive'::text, d.id, d.session_key, d.retention_policy,
           jsonb_build_object('status', d.status)
      FROM done d;

    PERFORM set_config('handoff_top.purging', 'on', true);
    RETURN QUERY
    WITH claimed AS (
        SELECT s.*
          FROM sessions s JOIN session_lifecycle_schedule c ON c.id = s.id
         WHERE c.archived_at IS NOT NULL AND c.purge_due_at <= p_now
         ORDER BY c.purge_due_at LIMIT p_limit
         FOR UPDATE OF s SKIP LOCKED
    ), audited AS (
        INSERT INTO session_purge_audit (session_id, session_key, agent_from, agent_to, status, retention_policy,
                                         session_created_at, archived_at, purged_at, deleted_rows,
                                         lifecycle_events, session_row)
        SELECT c.id, c.session_key, c.agent_from, c.agent_to, c.status, c.retention_policy,
               c.created_at, c.archived_at, p_now,
               jsonb_build_object(
                   'context_history', (SELECT count(*) FROM context_history x WHERE x.session_id = c.id),
                   'handoff_requests', (SELECT count(*) FROM handoff_requests x WHERE x.session_id = c.id),
                   'codebase_snapshots', (SELECT count(*) FROM codebase_snapshots x WHERE x.session_id = c.id),
                   'session_lifecycle', (SELECT count(*) FROM session_lifecycle x WHERE x.session_id = c.id),
                   'performance_logs_detached', (SELECT count(*) FROM performance_logs x WHERE x.session_id = c.id)),
               coalesce((SELECT jsonb_agg(jsonb_build_object('event_type', l.event_type, 'event_data', l.event_data,
                                                             'created_at', l.created_at) ORDER BY l.created_at)
                           FROM session_lifecycle l WHERE l.session_id = c.id), '[]'::jsonb),
               to_jsonb(c)
          FROM claimed c
        RETURNING session_purge_audit.session_id, session_purge_audit.deleted_rows
    ), done AS (
        DELETE FROM sessions s USING audited a WHERE s.id = a.session_id
        RETURNING s.id, s.session_key, s.retention_policy, a.deleted_rows
    )
    SELECT 'purge'::text, d.id, d.session_key, d.retention_policy, d.deleted_rows
      FROM done d;
    PERFORM set_config('handoff_top.purging', 'off', true);
    PERFORM set_config('handoff_top.lifecycle_reason', '', true);
END;
$$;
