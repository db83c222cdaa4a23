-- 007_dashboard_at_scale
-- Two screens that read every row at a million sessions (bench/ §2):
--
-- * Sessions sorted by context entries or handoff requests counted the child
--   rows of every session (5 s and more at 1 M sessions / 10 M context rows).
--   session_activity_counts keeps both counts per session, brought up to date
--   by refresh_session_activity_counts() - with the sweep, like the latency
--   rollups - which recounts exactly the sessions that have rows created
--   since its last run (less a grace window for late commits). Readers
--   (sql/queries/sessions_by_context.sql, sessions_by_handoffs.sql) take the
--   top of the counts index and recount the sessions with newer rows, so the
--   order is exact as long as child rows are only added (deleting a child row
--   leaves its session's count high until the session has new rows); never
--   refreshed, they count everything (correct, slow).
-- * The metrics screen's latest value per series sorted a day of rows; an
--   index on (metric_name, labels, recorded_at) lets it step from series to
--   series and read one row each.
-- * The dormant screen's candidate lists (sql/queries/dormant_sessions.sql:
--   the soonest sessions of each policy to go dormant, expire or be archived)
--   walked indexes ordered by time and skipped the rows of other statuses and
--   policies - hundreds of milliseconds at a million sessions. Two partial
--   indexes over the live (not archived) sessions give each list its own
--   index range.

-- ---------------------------------------------------------------------------
-- Per-session counts
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS session_activity_counts (
    session_id uuid PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    session_created_at timestamptz,    -- the order among equal counts (sessions.created_at, which never changes)
    context_count bigint NOT NULL,
    handoff_count bigint NOT NULL,
    counted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_session_activity_counts_context
    ON session_activity_counts (context_count DESC, session_created_at DESC NULLS LAST);
CREATE INDEX IF NOT EXISTS idx_session_activity_counts_handoff
    ON session_activity_counts (handoff_count DESC, session_created_at DESC NULLS LAST);

CREATE TABLE IF NOT EXISTS session_activity_counts_state (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    counted_through timestamptz,       -- NULL: never built
    grace interval NOT NULL DEFAULT interval '5 minutes' CHECK (grace >= interval '0')
);
INSERT INTO session_activity_counts_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

-- New handoff requests by time, for the refresh and the readers (an
-- append-only table: BRIN costs next to nothing per insert).
CREATE INDEX IF NOT EXISTS idx_handoff_requests_created_at ON handoff_requests USING brin (created_at);

-- First run: counts every session. Then: recounts the sessions created, or
-- with context or handoff requests created, since the last run less the grace
-- window. One run at a time (the state row is locked).
CREATE OR REPLACE FUNCTION refresh_session_activity_counts(p_now timestamptz DEFAULT now())
RETURNS TABLE (counted_from timestamptz, counted_to timestamptz, sessions_counted bigint)
LANGUAGE plpgsql AS $$
DECLARE
    st session_activity_counts_state%ROWTYPE;
    v_from timestamptz;
    n bigint;
BEGIN
    SELECT * INTO st FROM session_activity_counts_state WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO session_activity_counts_state (id) VALUES (1) RETURNING * INTO st;
    END IF;

    IF st.counted_through IS NULL THEN
        v_from := '-infinity';
        INSERT INTO session_activity_counts AS a (session_id, session_created_at, context_count, handoff_count, counted_at)
        SELECT s.id, s.created_at, coalesce(c.n, 0), coalesce(h.n, 0), p_now
          FROM sessions s
          LEFT JOIN (SELECT x.session_id, count(*) AS n FROM context_history x GROUP BY x.session_id) c ON c.session_id = s.id
          LEFT JOIN (SELECT x.session_id, count(*) AS n FROM handoff_requests x GROUP BY x.session_id) h ON h.session_id = s.id
        ON CONFLICT (session_id) DO UPDATE
           SET context_count = EXCLUDED.context_count, handoff_count = EXCLUDED.handoff_count, counted_at = EXCLUDED.counted_at;
    ELSE
        v_from := st.counted_through - st.grace;
        INSERT INTO session_activity_counts AS a (session_id, session_created_at, context_count, handoff_count, counted_at)
        SELECT s.id, s.created_at,
               (SELECT count(*) FROM context_history x WHERE x.session_id = s.id),
               (SELECT count(*) FROM handoff_requests x WHERE x.session_id = s.id),
               p_now
          FROM (SELECT x.session_id AS id FROM context_history x WHERE x.created_at >= v_from
                UNION
                SELECT x.session_id FROM handoff_requests x WHERE x.created_at >= v_from
                UNION
                SELECT x.id FROM sessions x WHERE x.created_at >= v_from) touched
          JOIN sessions s ON s.id = touched.id
        ON CONFLICT (session_id) DO UPDATE
           SET context_count = EXCLUDED.context_count, handoff_count = EXCLUDED.handoff_count, counted_at = EXCLUDED.counted_at;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE session_activity_counts_state SET counted_through = p_now WHERE id = 1;
    RETURN QUERY SELECT v_from, p_now, n;
END;
$$;

-- ---------------------------------------------------------------------------
-- The dormant screen's lists
-- ---------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_sessions_lifecycle_due
    ON sessions (retention_policy, status, is_dormant, last_activity_at) WHERE archived_at IS NULL;
-- sessions that expire by their policy's session_ttl (no explicit expires_at)
CREATE INDEX IF NOT EXISTS idx_sessions_expiry_by_policy
    ON sessions (retention_policy, created_at) WHERE expires_at IS NULL AND archived_at IS NULL;

-- ---------------------------------------------------------------------------
-- Latest metric per series
-- ---------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_system_metrics_series_latest ON system_metrics (metric_name, labels, recorded_at DESC);

-- ---------------------------------------------------------------------------
-- Monitor roles made before this migration read the new objects too
-- ---------------------------------------------------------------------------
-- (a role with SELECT on performance_rollup_state is one `setup
-- --create-monitor-role` made; sql/setup/monitor_role_grants.sql grants the
-- same to new ones)
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT a.rolname FROM pg_roles a
              WHERE NOT a.rolsuper
                AND a.rolname <> current_user
                AND has_table_privilege(a.oid, 'performance_rollup_state', 'SELECT')
                AND NOT has_table_privilege(a.oid, 'performance_rollup_state', 'INSERT') LOOP
        EXECUTE format('GRANT SELECT ON session_activity_counts, session_activity_counts_state TO %I', r.rolname);
        EXECUTE format('GRANT SELECT (id, session_id, created_at) ON context_history TO %I', r.rolname);
    END LOOP;
END;
$$;
