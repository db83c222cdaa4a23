-- 002_lifecycle_engine
-- What the spec's requirements 1.1, 1.4 and 6.4 need beyond the objects it
-- names: retention policies as data, activity tracking from the child tables,
-- read-only archived sessions, the lifecycle sweep (dormant, expired,
-- archived, purged) and the purge audit.

-- ---------------------------------------------------------------------------
-- Retention policies
-- ---------------------------------------------------------------------------
-- An interval that is NULL means "never" for that step.
CREATE TABLE IF NOT EXISTS retention_policies (
    name varchar(50) PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    session_ttl interval,          -- expires this long after creation (unless expires_at is set)
    dormant_after interval,        -- dormant after this much inactivity
    archive_after interval,        -- archived this long after expiry or completion
    purge_after interval,          -- archived data deleted this long after archival
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (session_ttl IS NULL OR session_ttl > interval '0'),
    CHECK (dormant_after IS NULL OR dormant_after > interval '0'),
    CHECK (archive_after IS NULL OR archive_after >= interval '0'),
    CHECK (purge_after IS NULL OR purge_after >= interval '0')
);

INSERT INTO retention_policies (name, description, session_ttl, dormant_after, archive_after, purge_after) VALUES
    ('standard', 'Default: expires 24 h after creation, dormant after 2 h idle, archived 1 h after expiry or completion, purged 30 days after archival',
        interval '24 hours', interval '2 hours', interval '1 hour', interval '30 days'),
    ('extended', 'Extended retention: expires after 30 days, dormant after 24 h idle, archived 7 days after expiry or completion, purged after 1 year',
        interval '30 days', interval '24 hours', interval '7 days', interval '365 days'),
    ('compliance', 'Kept for audit: expires after 30 days, archived 1 day after expiry or completion, purged after 7 years',
        interval '30 days', interval '24 hours', interval '1 day', interval '7 years'),
    ('permanent', 'Never expires, never archived or purged automatically; still marked dormant when idle',
        NULL, interval '7 days', NULL, NULL)
ON CONFLICT (name) DO NOTHING;

-- NOT VALID then VALIDATE: the check of existing rows does not block writers.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conname = 'sessions_retention_policy_fkey'
                      AND conrelid = 'sessions'::regclass) THEN
        ALTER TABLE sessions ADD CONSTRAINT sessions_retention_policy_fkey
            FOREIGN KEY (retention_policy) REFERENCES retention_policies (name)
            ON UPDATE CASCADE NOT VALID;
    END IF;
END;
$$;
ALTER TABLE sessions VALIDATE CONSTRAINT sessions_retention_policy_fkey;

-- Live sessions by explicit expiry: the sweep's and the dormant screen's
-- "expires next" lookups walk this instead of scanning sessions.
CREATE INDEX IF NOT EXISTS idx_sessions_expires_at_live ON sessions (expires_at)
    WHERE archived_at IS NULL AND expires_at IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Activity from the child tables
-- ---------------------------------------------------------------------------
-- New context and handoff requests (and a handoff's change of status) are
-- activity: they move the session's last_activity_at, which reactivates a
-- dormant session through update_sessions_last_activity.
CREATE OR REPLACE FUNCTION record_session_activity() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sessions
       SET last_activity_at = now()
     WHERE id = NEW.session_id
       AND (last_activity_at IS NULL OR last_activity_at < now());
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER record_context_activity
    AFTER INSERT ON context_history
    FOR EACH ROW EXECUTE FUNCTION record_session_activity();

CREATE OR REPLACE TRIGGER record_handoff_activity
    AFTER INSERT OR UPDATE OF status ON handoff_requests
    FOR EACH ROW EXECUTE FUNCTION record_session_activity();

CREATE OR REPLACE FUNCTION set_context_content_size() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.content_size_bytes IS NULL THEN
        NEW.content_size_bytes := octet_length(NEW.content);
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER set_context_content_size
    BEFORE INSERT OR UPDATE OF content ON context_history
    FOR EACH ROW EXECUTE FUNCTION set_context_content_size();

-- ---------------------------------------------------------------------------
-- Archived sessions are read-only (requirement 1.4)
-- ---------------------------------------------------------------------------
-- Only the purge step of lifecycle_sweep() may delete an archived session; it
-- says so with the transaction-local setting handoff_top.purging.
CREATE OR REPLACE FUNCTION enforce_archived_session_read_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.archived_at IS NOT NULL THEN
        IF TG_OP = 'DELETE' AND current_setting('handoff_top.purging', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'session % (%) is archived and read-only', OLD.session_key, OLD.id
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'Archived sessions can be read; only the lifecycle sweep purges them.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER enforce_archived_session_read_only
    BEFORE UPDATE OR DELETE ON sessions
    FOR EACH ROW
    WHEN (OLD.archived_at IS NOT NULL)
    EXECUTE FUNCTION enforce_archived_session_read_only();

-- Rows of an archived session cannot be inserted, changed or deleted. During a
-- purge the session row is already gone when the cascade reaches its children,
-- so the lookup finds nothing and the cascade proceeds.
CREATE OR REPLACE FUNCTION enforce_archived_child_read_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    key varchar;
    sid uuid;
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('handoff_top.purging', true) = 'on' THEN
        RETURN OLD;
    END IF;
    FOREACH sid IN ARRAY CASE TG_OP
            WHEN 'INSERT' THEN ARRAY[NEW.session_id]
            WHEN 'DELETE' THEN ARRAY[OLD.session_id]
            ELSE ARRAY[OLD.session_id, NEW.session_id] END
    LOOP
        SELECT s.session_key INTO key FROM sessions s WHERE s.id = sid AND s.archived_at IS NOT NULL;
        IF FOUND THEN
            RAISE EXCEPTION 'session % (%) is archived and read-only: cannot % %', key, sid, lower(TG_OP), TG_TABLE_NAME
                USING ERRCODE = 'read_only_sql_transaction',
                      HINT = 'Archived sessions can be read; only the lifecycle sweep purges them.';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER enforce_archived_read_only
    BEFORE INSERT OR UPDATE OR DELETE ON context_history
    FOR EACH ROW EXECUTE FUNCTION enforce_archived_child_read_only();
CREATE OR REPLACE TRIGGER enforce_archived_read_only
    BEFORE INSERT OR UPDATE OR DELETE ON handoff_requests
    FOR EACH ROW EXECUTE FUNCTION enforce_archived_child_read_only();
CREATE OR REPLACE TRIGGER enforce_archived_read_only
    BEFORE INSERT OR UPDATE OR DELETE ON codebase_snapshots
    FOR EACH ROW EXECUTE FUNCTION enforce_archived_child_read_only();

-- ---------------------------------------------------------------------------
-- Purge audit (requirement 6.4): survives the deletion it records
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS session_purge_audit (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL,          -- no foreign key: the session is gone
    session_key varchar(255) NOT NULL,
    agent_from varchar(100),
    agent_to varchar(100),
    status varchar(50),
    retention_policy varchar(50),
    session_created_at timestamptz,
    archived_at timestamptz,
    purged_at timestamptz NOT NULL DEFAULT now(),
    purged_by text NOT NULL DEFAULT current_user,
    deleted_rows jsonb NOT NULL,       -- {"context_history": n, "handoff_requests": n, ...}
    lifecycle_events jsonb NOT NULL,   -- the session's lifecycle history, oldest first
    session_row jsonb NOT NULL         -- the session row as it was
);
CREATE INDEX IF NOT EXISTS idx_session_purge_audit_session_id ON session_purge_audit (session_id);
CREATE INDEX IF NOT EXISTS idx_session_purge_audit_purged_at ON session_purge_audit (purged_at);

-- ---------------------------------------------------------------------------
-- The sweep
-- ---------------------------------------------------------------------------
-- When each lifecycle step falls due for a session under its policy. One
-- place, used by both the sweep and the monitor's dormant screen.
CREATE OR REPLACE VIEW session_lifecycle_schedule AS
SELECT
    s.id,
    s.session_key,
    s.status,
    s.is_dormant,
    s.archived_at,
    s.retention_policy,
    coalesce(s.last_activity_at, s.updated_at, s.created_at) AS effective_last_activity_at,
    coalesce(s.expires_at, s.created_at + p.session_ttl) AS expires_due_at,
    CASE WHEN p.dormant_after IS NOT NULL
         THEN coalesce(s.last_activity_at, s.updated_at, s.created_at) + p.dormant_after END AS dormant_due_at,
    CASE WHEN p.archive_after IS NOT NULL AND s.status IN ('expired', 'completed', 'cancelled')
         THEN CASE WHEN s.status = 'expired'
                   THEN greatest(coalesce(s.expires_at, s.created_at + p.session_ttl, s.updated_at),
                                 coalesce(s.last_activity_at, s.updated_at, s.created_at))
                   ELSE coalesce(s.last_activity_at, s.updated_at, s.created_at) END
              + p.archive_after END AS archive_due_at,
    CASE WHEN p.purge_after IS NOT NULL THEN s.archived_at + p.purge_after END AS purge_due_at
FROM sessions s
JOIN retention_policies p ON p.name = s.retention_policy;

-- Applies every retention policy in one pass: expires, marks dormant,
-- archives, purges - in that order - and returns one row per session and
-- action. Rows are claimed with FOR UPDATE SKIP LOCKED, so two sweeps running
-- at once never process the same session. With p_dry_run nothing is changed
-- (and nothing locked): the rows say what a sweep would do now.
CREATE OR REPLACE FUNCTION lifecycle_sweep(
    p_dry_run boolean DEFAULT false,
    p_now timestamptz DEFAULT now(),
    p_limit integer DEFAULT 10000
) RETURNS TABLE (action text, session_id uuid, session_key varchar, retention_policy varchar, detail jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_dry_run THEN
        RETURN QUERY
        SELECT 'expire'::text, c.id, c.session_key, c.retention_policy,
               jsonb_build_object('old_status', c.status, 'expires_at', c.expires_due_at)
          FROM session_lifecycle_schedule c
         WHERE c.archived_at IS NULL AND c.status NOT IN ('expired', 'completed', 'cancelled')
           AND c.expires_due_at <= p_now
         ORDER BY c.expires_due_at LIMIT p_limit;
        RETURN QUERY
        SELECT 'dormant'::text, c.id, c.session_key, c.retention_policy,
               jsonb_build_object('last_activity_at', c.effective_last_activity_at)
          FROM session_lifecycle_schedule c
         WHERE NOT c.is_dormant AND c.archived_at IS NULL AND c.status = 'active'
           AND c.dormant_due_at <= p_now
           AND NOT coalesce(c.expires_due_at <= p_now, false)
         ORDER BY c.dormant_due_at LIMIT p_limit;
        RETURN QUERY
        SELECT 'archive'::text, c.id, c.session_key, c.retention_policy,
               jsonb_build_object('status', c.status)
          FROM session_lifecycle_schedule c
         WHERE c.archived_at IS NULL AND c.archive_due_at <= p_now
         ORDER BY c.archive_due_at LIMIT p_limit;
        RETURN QUERY
        SELECT 'purge'::text, c.id, c.session_key, c.retention_policy,
               jsonb_build_object('archived_at', c.archived_at)
          FROM session_lifecycle_schedule c
         WHERE c.archived_at IS NOT NULL AND c.purge_due_at <= p_now
         ORDER BY c.purge_due_at LIMIT p_limit;
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
