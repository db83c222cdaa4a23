-- handoff-top: the complete schema in one file, for installing without Node:
--   psql "$DATABASE_URL" -f sql/schema.sql
-- Generated from sql/migrations by `npm run schema:generate`; do not edit by hand.
-- Runs in one transaction; safe on an existing handoff database (base tables kept).
\set ON_ERROR_STOP on
BEGIN;

-- The migration history: one row per applied migration file, with the SHA-256
-- of the file as it was applied. 'baselined' rows were found already in place
-- (a database set up before the tracking table existed) rather than run.
CREATE TABLE IF NOT EXISTS handoff_top_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum char(64) NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user,
    execution_ms integer,
    baselined boolean NOT NULL DEFAULT false
);

-- >>> 001_enhanced_monitoring_schema.sql
-- 001_enhanced_monitoring_schema
-- Turns an existing AI handoff database into the enhanced monitoring schema of
-- shared/spec/enhanced-session-monitoring.md, and gives a new installation the
-- base tables too. Safe on a populated database: it adds tables, nullable or
-- constant-default columns (no table rewrite, no row modified), indexes,
-- triggers and views; it never updates existing rows.
--
-- Revised: the monitoring views are created only where absent (databases of
-- the handoff server have them with its columns; 010 reshapes them), and the
-- base tables of a new installation are the handoff server's exactly (its
-- scripts/init-db.sql): session_id NOT NULL on codebase_snapshots and
-- handoff_requests, no CHECK on context_type or a handoff's status, its index
-- names. A database that applied the first revision has this migration applied:
-- supersedes: e256bc010e4062e5dfcc3ebbcdfc92d77fe7060c3494cc8ddaf84f344229bd75

-- ---------------------------------------------------------------------------
-- Base tables of the handoff server (present already in existing databases)
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_key varchar(255) UNIQUE NOT NULL,
    agent_from varchar(100) NOT NULL,
    agent_to varchar(100),
    status varchar(50) NOT NULL DEFAULT 'active',
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    expires_at timestamptz,
    metadata jsonb DEFAULT '{}'
);

CREATE TABLE IF NOT EXISTS context_history (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    sequence_number integer NOT NULL,
    context_type varchar(50) NOT NULL,
    content text NOT NULL,
    metadata jsonb DEFAULT '{}',
    created_at timestamptz DEFAULT now(),
    UNIQUE (session_id, sequence_number)
);

CREATE TABLE IF NOT EXISTS codebase_snapshots (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    file_path varchar(500) NOT NULL,
    content_hash varchar(64) NOT NULL,
    content text,
    analysis_result jsonb DEFAULT '{}',
    created_at timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS handoff_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    requesting_agent varchar(100) NOT NULL,
    target_agent varchar(100),
    request_type varchar(50) NOT NULL DEFAULT 'context_transfer',
    request_data jsonb DEFAULT '{}',
    status varchar(50) NOT NULL DEFAULT 'pending',
    created_at timestamptz DEFAULT now(),
    completed_at timestamptz
);

CREATE INDEX IF NOT EXISTS idx_sessions_session_key ON sessions (session_key);
CREATE INDEX IF NOT EXISTS idx_sessions_status ON sessions (status);
CREATE INDEX IF NOT EXISTS idx_sessions_created_at ON sessions (created_at);
CREATE INDEX IF NOT EXISTS idx_context_history_session_id ON context_history (session_id);
CREATE INDEX IF NOT EXISTS idx_context_history_sequence ON context_history (session_id, sequence_number);
CREATE INDEX IF NOT EXISTS idx_context_history_created_at ON context_history (created_at);
CREATE INDEX IF NOT EXISTS idx_codebase_snapshots_session_id ON codebase_snapshots (session_id);
CREATE INDEX IF NOT EXISTS idx_codebase_snapshots_file_path ON codebase_snapshots (file_path);
CREATE INDEX IF NOT EXISTS idx_handoff_requests_session_id ON handoff_requests (session_id);
CREATE INDEX IF NOT EXISTS idx_handoff_requests_status ON handoff_requests (status);

CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER update_sessions_updated_at
    BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- ---------------------------------------------------------------------------
-- Monitoring columns on existing tables
-- ---------------------------------------------------------------------------
-- last_activity_at has no backfill: rows that predate the migration keep NULL
-- and every reader falls back to updated_at, then created_at.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS last_activity_at timestamptz;
ALTER TABLE sessions ALTER COLUMN last_activity_at SET DEFAULT now();
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS is_dormant boolean NOT NULL DEFAULT false;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS archived_at timestamptz;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS retention_policy varchar(50) NOT NULL DEFAULT 'standard';

ALTER TABLE context_history ADD COLUMN IF NOT EXISTS processing_time_ms integer;
ALTER TABLE context_history ADD COLUMN IF NOT EXISTS content_size_bytes integer;

-- ---------------------------------------------------------------------------
-- New tables
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS session_lifecycle (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    event_type varchar(50) NOT NULL
        CHECK (event_type IN ('created', 'expired', 'archived', 'dormant', 'reactivated', 'status_changed')),
    event_data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS system_metrics (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    metric_name varchar(255) NOT NULL,
    metric_value numeric NOT NULL,
    metric_type varchar(20) NOT NULL CHECK (metric_type IN ('counter', 'gauge', 'histogram')),
    labels jsonb NOT NULL DEFAULT '{}',
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS performance_logs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    operation varchar(100) NOT NULL,
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    success boolean NOT NULL DEFAULT true,
    session_id uuid REFERENCES sessions(id) ON DELETE SET NULL,
    metadata jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS analytics_aggregations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    aggregation_type varchar(50) NOT NULL
        CHECK (aggregation_type IN ('session_stats', 'handoff_stats', 'performance_trends')),
    time_bucket timestamptz NOT NULL,
    aggregation_data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------
-- Indexes named by the spec, plus the ones its queries need
-- ---------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_sessions_last_activity_at ON sessions (last_activity_at);
-- Partial where only one side is ever looked up: the dormant rows, the
-- archived rows. Updates of live sessions then skip these two indexes.
CREATE INDEX IF NOT EXISTS idx_sessions_is_dormant ON sessions (is_dormant) WHERE is_dormant;
CREATE INDEX IF NOT EXISTS idx_sessions_archived_at ON sessions (archived_at) WHERE archived_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_sessions_retention_policy ON sessions (retention_policy);
CREATE INDEX IF NOT EXISTS idx_sessions_status_last_activity ON sessions (status, last_activity_at);
CREATE INDEX IF NOT EXISTS idx_sessions_dormant_last_activity ON sessions (is_dormant, last_activity_at);

CREATE INDEX IF NOT EXISTS idx_performance_logs_operation ON performance_logs (operation);
CREATE INDEX IF NOT EXISTS idx_performance_logs_operation_created_at ON performance_logs (operation, created_at);
CREATE INDEX IF NOT EXISTS idx_performance_logs_created_at ON performance_logs (created_at);
CREATE INDEX IF NOT EXISTS idx_performance_logs_session_id ON performance_logs (session_id);
CREATE INDEX IF NOT EXISTS idx_system_metrics_name_recorded_at ON system_metrics (metric_name, recorded_at);
CREATE INDEX IF NOT EXISTS idx_system_metrics_labels ON system_metrics USING gin (labels);

CREATE INDEX IF NOT EXISTS idx_session_lifecycle_session_created_at ON session_lifecycle (session_id, created_at);
-- Append-only by time: BRIN answers time ranges at a fraction of a B-tree's
-- upkeep on every insert.
CREATE INDEX IF NOT EXISTS idx_session_lifecycle_created_at ON session_lifecycle USING brin (created_at);

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------
-- The lifecycle reason of the current transaction is the transaction-local
-- setting handoff_top.lifecycle_reason, which the sweep sets to 'sweep';
-- anything else is the application. Read inline (a SQL helper function would
-- go through the SQL-function executor on every trigger call).

-- Logs every lifecycle change of a session. Comparisons are null-safe
-- (IS DISTINCT FROM), so changes to and from NULL are seen.
CREATE OR REPLACE FUNCTION log_session_lifecycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reason text := coalesce(nullif(current_setting('handoff_top.lifecycle_reason', true), ''), 'application');
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO session_lifecycle (session_id, event_type, event_data)
        VALUES (NEW.id, 'created', jsonb_build_object(
            'status', NEW.status,
            'agent_from', NEW.agent_from,
            'agent_to', NEW.agent_to,
            'retention_policy', NEW.retention_policy,
            'expires_at', NEW.expires_at));
        RETURN NULL;
    END IF;

    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NEW.status = 'expired' THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'expired', jsonb_build_object(
                'old_status', OLD.status,
                'new_status', NEW.status,
                'expires_at', NEW.expires_at,
                'retention_policy', NEW.retention_policy,
                'reason', reason));
        ELSE
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'status_changed', jsonb_build_object(
                'old_status', OLD.status,
                'new_status', NEW.status,
                'reason', reason));
        END IF;
    END IF;

    IF NEW.is_dormant IS DISTINCT FROM OLD.is_dormant THEN
        IF NEW.is_dormant THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'dormant', jsonb_build_object(
                'previous_state', 'active',
                'status', NEW.status,
                'last_activity_at', coalesce(NEW.last_activity_at, NEW.updated_at, NEW.created_at),
                'inactive_hours', round((extract(epoch FROM now() - coalesce(OLD.last_activity_at, OLD.updated_at, OLD.created_at)) / 3600)::numeric, 2),
                'retention_policy', NEW.retention_policy,
                'reason', reason));
        ELSE
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'reactivated', jsonb_build_object(
                'previous_state', 'dormant',
                'status', NEW.status,
                'dormant_since_activity_at', coalesce(OLD.last_activity_at, OLD.updated_at, OLD.created_at),
                'last_activity_at', NEW.last_activity_at,
                'retention_policy', NEW.retention_policy,
                'reason', reason));
        END IF;
    END IF;

    IF NEW.archived_at IS DISTINCT FROM OLD.archived_at AND NEW.archived_at IS NOT NULL THEN
        INSERT INTO session_lifecycle (session_id, event_type, event_data)
        VALUES (NEW.id, 'archived', jsonb_build_object(
            'previous_state', CASE WHEN OLD.is_dormant THEN 'dormant' ELSE OLD.status END,
            'status', NEW.status,
            'archived_at', NEW.archived_at,
            'retention_policy', NEW.retention_policy,
            'reason', reason));
    END IF;

    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER log_session_lifecycle
    AFTER INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION log_session_lifecycle();

-- last_activity_at moves only on real activity. Here: a status change made by
-- the application. An UPDATE that sets last_activity_at itself keeps its value;
-- lifecycle bookkeeping (is_dormant, archived_at, retention_policy, expiry,
-- anything the sweep does) never moves it. Activity on a dormant session
-- reactivates it.
CREATE OR REPLACE FUNCTION update_last_activity_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.last_activity_at IS NOT DISTINCT FROM OLD.last_activity_at
       AND NEW.status IS DISTINCT FROM OLD.status
       AND coalesce(nullif(current_setting('handoff_top.lifecycle_reason', true), ''), 'application') = 'application' THEN
        NEW.last_activity_at := now();
    END IF;

    IF OLD.is_dormant AND NEW.is_dormant
       AND NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at
       AND NEW.last_activity_at > coalesce(OLD.last_activity_at, OLD.updated_at, OLD.created_at, '-infinity') THEN
        NEW.is_dormant := false;
    END IF;
    RETURN NEW;
END;
$$;

-- The WHEN clause (evaluated without calling PL/pgSQL) lets the function run
-- only for the updates it can change.
CREATE OR REPLACE TRIGGER update_sessions_last_activity
    BEFORE UPDATE ON sessions
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR (OLD.is_dormant AND NEW.is_dormant AND NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at))
    EXECUTE FUNCTION update_last_activity_column();

-- ---------------------------------------------------------------------------
-- Monitoring views
-- ---------------------------------------------------------------------------
-- Per-row subqueries stay scalar so the planner evaluates them after ORDER BY
-- ... LIMIT, for the visible rows only.
-- A database the handoff server (or its scripts) made has both views already,
-- with the server's columns, which CREATE OR REPLACE VIEW cannot reshape
-- (42P16): those are left as they are here, and 010 gives every database the
-- server's shape.
DO $$
BEGIN
    IF to_regclass('session_monitoring_view') IS NULL THEN
        CREATE VIEW session_monitoring_view AS
        SELECT
            s.id,
            s.session_key,
            s.agent_from,
            s.agent_to,
            s.status,
            s.created_at,
            s.updated_at,
            s.expires_at,
            s.last_activity_at,
            s.is_dormant,
            s.archived_at,
            s.retention_policy,
            s.metadata,
            round((extract(epoch FROM now() - coalesce(s.last_activity_at, s.updated_at, s.created_at)) / 3600)::numeric, 2)
                AS hours_since_activity,
            (SELECT count(*) FROM context_history ch WHERE ch.session_id = s.id) AS context_count,
            (SELECT count(*) FROM handoff_requests hr WHERE hr.session_id = s.id) AS handoff_count,
            (SELECT sl.event_type FROM session_lifecycle sl
              WHERE sl.session_id = s.id ORDER BY sl.created_at DESC LIMIT 1) AS last_lifecycle_event,
            (SELECT max(sl.created_at) FROM session_lifecycle sl WHERE sl.session_id = s.id) AS last_lifecycle_event_at
        FROM sessions s;
    END IF;
END;
$$;

-- Exact statistics over the last 24 hours, as the spec defines them.
DO $$
BEGIN
    IF to_regclass('performance_monitoring_view') IS NULL THEN
        CREATE VIEW performance_monitoring_view AS
        SELECT
            pl.operation,
            count(*) AS total_calls,
            count(*) FILTER (WHERE pl.success) AS successful_calls,
            count(*) FILTER (WHERE NOT pl.success) AS failed_calls,
            round(100.0 * count(*) FILTER (WHERE pl.success) / count(*), 2) AS success_rate_percent,
            round(avg(pl.duration_ms), 2) AS avg_duration_ms,
            min(pl.duration_ms) AS min_duration_ms,
            max(pl.duration_ms) AS max_duration_ms,
            round(percentile_cont(0.95) WITHIN GROUP (ORDER BY pl.duration_ms)::numeric, 2) AS p95_duration_ms,
            min(pl.created_at) AS first_call_at,
            max(pl.created_at) AS last_call_at
        FROM performance_logs pl
        WHERE pl.created_at >= now() - interval '24 hours'
        GROUP BY pl.operation;
    END IF;
END;
$$;
-- <<< 001_enhanced_monitoring_schema.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (1, 'enhanced_monitoring_schema', '66b570a23d33f140fdb854d62f3fc40b39e20e0b4519841f3754d5d99d58a154', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 002_lifecycle_engine.sql
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
-- <<< 002_lifecycle_engine.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (2, 'lifecycle_engine', 'c81fec4b04a5ecc6f1f90ba2e7235bfbe714aaa4c7470f11209f82e1022942fe', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 003_live_event_feed.sql
-- 003_live_event_feed
-- A lossless cursor over session_lifecycle, and a rate-bounded wake-up on the
-- LISTEN channel 'handoff_lifecycle'.
--
-- Cursor: each event records the id of the transaction that wrote it (xid8)
-- and an ordinal. A reader takes
--   WHERE (xid, seq) > (last_xid, last_seq)
--     AND xid < pg_snapshot_xmin(pg_current_snapshot())
--   ORDER BY xid, seq
-- Every transaction below the snapshot's xmin has finished, so no row can
-- later appear behind the cursor (a sequence or timestamp cursor skips rows
-- that commit out of order).
--
-- Notification: a NOTIFY makes its transaction take a cluster-wide lock at
-- commit, which serialises committing writers. So the wake-up is gated: at
-- most one notification per min_interval_ms window, and none while no monitor
-- is connected (checked against pg_stat_activity at most once a second). The
-- payload carries keys only: {"xid", "event_id", "session_id", "event_type",
-- "events"}. It is a wake-up, not the data: readers read the table.

ALTER TABLE session_lifecycle ADD COLUMN IF NOT EXISTS xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE session_lifecycle ADD COLUMN IF NOT EXISTS seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX IF NOT EXISTS idx_session_lifecycle_xid_seq ON session_lifecycle (xid, seq);

CREATE UNLOGGED TABLE IF NOT EXISTS lifecycle_notify_gate (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    channel text NOT NULL DEFAULT 'handoff_lifecycle',
    min_interval_ms integer NOT NULL DEFAULT 100 CHECK (min_interval_ms BETWEEN 0 AND 60000),
    -- LIKE pattern of application_name that counts as a listener; NULL: always notify
    listener_pattern text DEFAULT 'handoff-top%',
    last_window bigint NOT NULL DEFAULT 0,
    listener_present boolean NOT NULL DEFAULT false,
    listener_checked_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO lifecycle_notify_gate (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
GRANT SELECT ON lifecycle_notify_gate TO PUBLIC;

-- Claims the current window for this transaction and sends the wake-up.
-- SECURITY DEFINER: writers need no privilege on the gate, and the listener
-- check sees every backend. It computes the window itself and always sends
-- when it claims, so a caller can neither push the gate ahead nor claim a
-- window without waking the listeners.
CREATE OR REPLACE FUNCTION lifecycle_notify_claim(p_payload text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    g lifecycle_notify_gate%ROWTYPE;
    present boolean;
    current_window bigint;
BEGIN
    SELECT * INTO g FROM lifecycle_notify_gate WHERE id = 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN false;           -- another transaction holds the gate right now
    END IF;
    current_window := floor(extract(epoch FROM clock_timestamp()) * 1000 / greatest(g.min_interval_ms, 1));
    IF g.last_window >= current_window THEN
        RETURN false;           -- this window was used already
    END IF;
    present := g.listener_present;
    IF g.listener_pattern IS NULL THEN
        present := true;
    ELSIF g.listener_checked_at < clock_timestamp() - interval '1 second' THEN
        SELECT EXISTS (SELECT 1 FROM pg_stat_activity a
                        WHERE a.datname = current_database()
                          AND a.pid <> pg_backend_pid()
                          AND a.application_name LIKE g.listener_pattern)
          INTO present;
        UPDATE lifecycle_notify_gate
           SET listener_present = present, listener_checked_at = clock_timestamp()
         WHERE id = 1;
    END IF;
    IF NOT present THEN
        RETURN false;
    END IF;
    UPDATE lifecycle_notify_gate SET last_window = current_window WHERE id = 1;
    PERFORM pg_notify(g.channel, left(p_payload, 1000));
    RETURN true;
END;
$$;

-- Most lifecycle inserts run no PL/pgSQL for the wake-up: each backend
-- remembers (session setting handoff_top.notify_skip_until, epoch ms) until
-- when it need not look at the gate - the current window is taken, or nobody
-- was listening at the last check - and the trigger's WHEN clause tests it.
CREATE OR REPLACE FUNCTION notify_lifecycle_listeners() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    g record;
    width integer;
    w bigint;
    ev record;
    events bigint;
BEGIN
    SELECT min_interval_ms, last_window, listener_present, listener_checked_at, listener_pattern
      INTO g FROM lifecycle_notify_gate WHERE id = 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    width := greatest(g.min_interval_ms, 1);
    w := floor(extract(epoch FROM clock_timestamp()) * 1000 / width);
    -- whatever happens below, this backend need not look again before the next window
    PERFORM set_config('handoff_top.notify_skip_until', ((w + 1) * width)::text, false);
    IF g.last_window >= w THEN
        RETURN NULL;            -- someone already notified in this window
    END IF;
    IF g.listener_pattern IS NOT NULL AND NOT g.listener_present
       AND g.listener_checked_at >= clock_timestamp() - interval '1 second' THEN
        -- nobody listening, checked less than a second ago: skip until that check expires
        PERFORM set_config('handoff_top.notify_skip_until',
                           (extract(epoch FROM g.listener_checked_at + interval '1 second') * 1000)::text, false);
        RETURN NULL;
    END IF;
    -- the payload's keys, from this transaction's events (no transition table needed)
    SELECT l.id, l.session_id, l.event_type INTO ev
      FROM session_lifecycle l WHERE l.xid = pg_current_xact_id() ORDER BY l.seq DESC LIMIT 1;
    SELECT count(*) INTO events FROM session_lifecycle l WHERE l.xid = pg_current_xact_id();
    PERFORM lifecycle_notify_claim(json_build_object(
        'xid', pg_current_xact_id()::text,
        'event_id', ev.id,
        'session_id', ev.session_id,
        'event_type', ev.event_type,
        'events', events)::text);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER notify_lifecycle_listeners
    AFTER INSERT ON session_lifecycle
    FOR EACH STATEMENT
    -- built-in functions only: a SQL function here would be planned again for every statement
    WHEN (coalesce(nullif(current_setting('handoff_top.notify_skip_until', true), '')::float8, 0)
          <= extract(epoch FROM clock_timestamp()) * 1000)
    EXECUTE FUNCTION notify_lifecycle_listeners();
-- <<< 003_live_event_feed.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (3, 'live_event_feed', '71663bbb66bc8b6b05f427c8ebba4967fa7ef2f7dae24e7dadfd650ffd0e28a7', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 004_analytics.sql
-- 004_analytics
-- The index analytics_aggregations' readers and refresh_analytics_aggregations()
-- use.
--
-- Revised: no unique index on (aggregation_type, time_bucket). Databases the
-- handoff server wrote hold several rows for one bucket of its own types (two
-- of its processes aggregate the same hour), which such an index cannot be
-- built over; the index is the server's own, by its name. The function, which
-- the first revision defined with ON CONFLICT over the unique index, is
-- defined once, without it, in 010. A database that applied the first
-- revision has this migration applied (010 drops its unique index):
-- supersedes: 49477751225b7aca351181eb0910e8be88f2ee754242a46e63bfc676fd025a8f

CREATE INDEX IF NOT EXISTS idx_analytics_aggregations_type_time_bucket
    ON analytics_aggregations (aggregation_type, time_bucket);
-- <<< 004_analytics.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (4, 'analytics', '1563247803dfb5f819056088dabdb8ec024ec2ae2de3cc1712685934b4746241', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 005_latency_rollups.sql
-- 005_latency_rollups
-- Rollups of performance_logs for the monitor's performance screen, so its
-- latency table and sparklines never read the raw rows of a whole window
-- (percentile_cont over a day of rows takes seconds at a million rows a day).
--
-- Three tiers, all per operation: 1-minute rows (resolution_s = 60),
-- 10-minute rows (600) and hourly rows (3600), each with calls, failures,
-- sum, min, max, first/last call, the row's own p95, and a log-bucket latency
-- histogram in performance_rollup_histogram. refresh_performance_rollups() builds them from
-- the raw rows; call it every minute from the sweep's scheduler (pg_cron or
-- any cron: SELECT * FROM refresh_performance_rollups()). Each refresh
-- re-aggregates a grace window (default 5 minutes) before its watermark, so
-- rows whose transactions commit late are still counted. Readers
-- (sql/queries/rollup_*.sql) combine rollups below the watermark with the raw
-- rows above it, so results are current whatever the refresh lag; without any
-- refresh they read raw rows only (correct, but slow).
--
-- Histogram buckets: 8 per doubling. Bucket b >= 1 holds durations in
-- [2^((b-1)/8), 2^(b/8)) ms, bucket 0 holds 0 ms. A p95 read from the
-- histogram is the bucket's geometric midpoint (clamped to the whole
-- integers the bucket can hold), so it is within 2^(1/16) - 1 = 4.43 % (4.5 % after rounding to 0.01 ms) of the
-- nearest-rank p95 of the same rows; durations up to 15 ms are exact.
-- performance_monitoring_view stays exact.

CREATE OR REPLACE FUNCTION performance_latency_bucket(p_ms integer) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_ms IS NULL OR p_ms < 1 THEN 0
                ELSE 1 + floor(8 * ln(p_ms::float8) / ln(2::float8) + 1e-9)::integer END::smallint
$$;

-- The value a histogram bucket stands for: its geometric midpoint, clamped to
-- the integers that fall in it (bucket 1 is exactly 1 ms, ...).
CREATE OR REPLACE FUNCTION performance_latency_bucket_value(p_bucket smallint) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_bucket <= 0 THEN 0::numeric
                ELSE round(greatest(ceil(power(2::numeric, (p_bucket - 1) / 8.0)),
                                    least(power(2::numeric, (p_bucket - 0.5) / 8.0),
                                          ceil(power(2::numeric, p_bucket / 8.0)) - 1)), 2) END
$$;

CREATE TABLE IF NOT EXISTS performance_rollup (
    resolution_s integer NOT NULL CHECK (resolution_s IN (60, 600, 3600)),
    bucket_start timestamptz NOT NULL,
    operation varchar(100) NOT NULL,
    calls bigint NOT NULL,
    p95_ms numeric NOT NULL,           -- from the row's histogram (see above)
    failures bigint NOT NULL,
    sum_ms bigint NOT NULL,
    min_ms integer NOT NULL,
    max_ms integer NOT NULL,
    first_call_at timestamptz NOT NULL,
    last_call_at timestamptz NOT NULL,
    PRIMARY KEY (resolution_s, bucket_start, operation)
);

CREATE TABLE IF NOT EXISTS performance_rollup_histogram (
    resolution_s integer NOT NULL CHECK (resolution_s IN (60, 600, 3600)),
    bucket_start timestamptz NOT NULL,
    operation varchar(100) NOT NULL,
    latency_bucket smallint NOT NULL,
    calls bigint NOT NULL,
    PRIMARY KEY (resolution_s, bucket_start, operation, latency_bucket)
);

-- One row: raw rows created at or after rolled_up_to are not rolled up yet.
CREATE TABLE IF NOT EXISTS performance_rollup_state (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    rolled_up_to timestamptz NOT NULL DEFAULT '-infinity',
    grace interval NOT NULL DEFAULT '5 minutes' CHECK (grace >= interval '0'),
    retention interval NOT NULL DEFAULT '8 days' CHECK (retention > interval '0'),
    refreshed_at timestamptz
);
INSERT INTO performance_rollup_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

-- Rebuilds the rows of one coarse tier (600 or 3600 seconds) whose buckets
-- start in [p_from, p_to), from the 1-minute tier.
-- The CTEs' row counts are unknown to the planner (fresh rows, stale
-- statistics): enable_nestloop = off keeps their joins hashed, never quadratic.
CREATE OR REPLACE FUNCTION performance_rollup_tier(p_resolution integer, p_from timestamptz, p_to timestamptz) RETURNS bigint
LANGUAGE plpgsql SET enable_nestloop = off AS $$
DECLARE
    width interval := make_interval(secs => p_resolution);
    n bigint;
BEGIN
    DELETE FROM performance_rollup r WHERE r.resolution_s = p_resolution AND r.bucket_start >= p_from AND r.bucket_start < p_to;
    DELETE FROM performance_rollup_histogram h WHERE h.resolution_s = p_resolution AND h.bucket_start >= p_from AND h.bucket_start < p_to;
    WITH hist AS (
        INSERT INTO performance_rollup_histogram (resolution_s, bucket_start, operation, latency_bucket, calls)
        SELECT p_resolution, date_bin(width, h.bucket_start, timestamptz 'epoch'), h.operation, h.latency_bucket, sum(h.calls)
          FROM performance_rollup_histogram h
         WHERE h.resolution_s = 60 AND h.bucket_start >= p_from AND h.bucket_start < p_to
         GROUP BY 2, 3, 4
        RETURNING bucket_start, operation, latency_bucket, calls
    ), p95 AS (
        SELECT DISTINCT ON (c.bucket_start, c.operation) c.bucket_start, c.operation, c.latency_bucket
          FROM (SELECT hist.*, sum(hist.calls) OVER (PARTITION BY hist.bucket_start, hist.operation ORDER BY hist.latency_bucket) AS running,
                       sum(hist.calls) OVER (PARTITION BY hist.bucket_start, hist.operation) AS total
                  FROM hist) c
         WHERE c.running >= ceil(0.95 * c.total)
         ORDER BY c.bucket_start, c.operation, c.latency_bucket
    )
    INSERT INTO performance_rollup (resolution_s, bucket_start, operation, calls, p95_ms, failures, sum_ms, min_ms, max_ms, first_call_at, last_call_at)
    SELECT p_resolution, s.bucket_start, s.operation, s.calls,
           least(greatest(performance_latency_bucket_value(p95.latency_bucket), s.min_ms), s.max_ms),
           s.failures, s.sum_ms, s.min_ms, s.max_ms, s.first_call_at, s.last_call_at
      FROM (SELECT date_bin(width, r.bucket_start, timestamptz 'epoch') AS bucket_start, r.operation,
                   sum(r.calls) AS calls, sum(r.failures) AS failures, sum(r.sum_ms) AS sum_ms, min(r.min_ms) AS min_ms,
                   max(r.max_ms) AS max_ms, min(r.first_call_at) AS first_call_at, max(r.last_call_at) AS last_call_at
              FROM performance_rollup r
             WHERE r.resolution_s = 60 AND r.bucket_start >= p_from AND r.bucket_start < p_to
             GROUP BY 1, 2) s
      JOIN p95 ON p95.bucket_start = s.bucket_start AND p95.operation = s.operation;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;

-- Rolls performance_logs up to the start of the current minute. Only one
-- refresh runs at a time (a second one returns at once, doing nothing). The
-- first run rolls up what retention keeps; later runs redo the grace window
-- before the watermark and everything after it.
CREATE OR REPLACE FUNCTION refresh_performance_rollups(p_now timestamptz DEFAULT now())
RETURNS TABLE (rolled_from timestamptz, rolled_to timestamptz, minute_rows bigint, ten_minute_rows bigint, hour_rows bigint, deleted_rows bigint)
LANGUAGE plpgsql SET enable_nestloop = off AS $$
DECLARE
    st performance_rollup_state%ROWTYPE;
    v_to timestamptz := date_trunc('minute', p_now);
    v_from timestamptz;
    n_minute bigint;
    n_ten bigint;
    n_hour bigint;
    n_deleted bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('handoff_top.refresh_performance_rollups')) THEN
        RETURN;
    END IF;
    SELECT * INTO st FROM performance_rollup_state WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO performance_rollup_state (id) VALUES (1) RETURNING * INTO st;
    END IF;

    IF st.rolled_up_to = '-infinity' THEN
        v_from := date_trunc('minute', coalesce(
            (SELECT min(p.created_at) FROM performance_logs p WHERE p.created_at >= p_now - st.retention), v_to));
    ELSE
        v_from := date_trunc('minute', least(st.rolled_up_to, v_to) - st.grace);
    END IF;
    v_from := least(v_from, v_to);

    -- 1-minute tier: [v_from, v_to), from the raw rows
    DELETE FROM performance_rollup r WHERE r.resolution_s = 60 AND r.bucket_start >= v_from AND r.bucket_start < v_to;
    DELETE FROM performance_rollup_histogram h WHERE h.resolution_s = 60 AND h.bucket_start >= v_from AND h.bucket_start < v_to;
    WITH hist AS (
        INSERT INTO performance_rollup_histogram (resolution_s, bucket_start, operation, latency_bucket, calls)
        SELECT 60, date_trunc('minute', p.created_at), p.operation, performance_latency_bucket(p.duration_ms), count(*)
          FROM performance_logs p
         WHERE p.created_at >= v_from AND p.created_at < v_to
         GROUP BY 2, 3, 4
        RETURNING bucket_start, operation, latency_bucket, calls
    ), p95 AS (
        SELECT DISTINCT ON (c.bucket_start, c.operation) c.bucket_start, c.operation, c.latency_bucket
          FROM (SELECT hist.*, sum(hist.calls) OVER (PARTITION BY hist.bucket_start, hist.operation ORDER BY hist.latency_bucket) AS running,
                       sum(hist.calls) OVER (PARTITION BY hist.bucket_start, hist.operation) AS total
                  FROM hist) c
         WHERE c.running >= ceil(0.95 * c.total)
         ORDER BY c.bucket_start, c.operation, c.latency_bucket
    )
    INSERT INTO performance_rollup (resolution_s, bucket_start, operation, calls, p95_ms, failures, sum_ms, min_ms, max_ms, first_call_at, last_call_at)
    SELECT 60, s.bucket_start, s.operation, s.calls,
           least(greatest(performance_latency_bucket_value(p95.latency_bucket), s.min_ms), s.max_ms),
           s.failures, s.sum_ms, s.min_ms, s.max_ms, s.first_call_at, s.last_call_at
      FROM (SELECT date_trunc('minute', p.created_at) AS bucket_start, p.operation, count(*) AS calls,
                   count(*) FILTER (WHERE NOT p.success) AS failures, sum(p.duration_ms) AS sum_ms,
                   min(p.duration_ms) AS min_ms, max(p.duration_ms) AS max_ms, min(p.created_at) AS first_call_at,
                   max(p.created_at) AS last_call_at
              FROM performance_logs p
             WHERE p.created_at >= v_from AND p.created_at < v_to
             GROUP BY 1, 2) s
      JOIN p95 ON p95.bucket_start = s.bucket_start AND p95.operation = s.operation;
    GET DIAGNOSTICS n_minute = ROW_COUNT;

    -- coarse tiers: every whole bucket touched by [v_from, v_to), from the minute tier
    n_ten := performance_rollup_tier(600, date_bin('10 minutes', v_from, timestamptz 'epoch'), date_bin('10 minutes', v_to, timestamptz 'epoch'));
    n_hour := performance_rollup_tier(3600, date_bin('1 hour', v_from, timestamptz 'epoch'), date_bin('1 hour', v_to, timestamptz 'epoch'));

    -- retention
    DELETE FROM performance_rollup r WHERE r.bucket_start < p_now - st.retention;
    GET DIAGNOSTICS n_deleted = ROW_COUNT;
    DELETE FROM performance_rollup_histogram h WHERE h.bucket_start < p_now - st.retention;

    UPDATE performance_rollup_state SET rolled_up_to = greatest(v_to, st.rolled_up_to), refreshed_at = clock_timestamp() WHERE id = 1;
    RETURN QUERY SELECT v_from, v_to, n_minute, n_ten, n_hour, n_deleted;
END;
$$;
-- <<< 005_latency_rollups.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (5, 'latency_rollups', 'cab6394f376bafb12afccf06df9a8a769ee6c11f60a315dd84f234769d3e7779', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 006_lighter_triggers.sql
-- 006_lighter_triggers
-- Cheaper writes for the handoff server, from a profile of its status changes
-- (perf, PostgreSQL 18; bench/ §1 and BENCHMARKS.md):
--
-- * A trigger's WHEN clause and a table's CHECK constraint are stored as text
--   and turned back into an expression - parsed, constant-folded, compiled -
--   once per statement that fires them. For the one-row statements of a
--   handoff server that is once per row: 12 % of a status change went to the
--   WHEN clauses of three triggers, 6 % to the CHECK of session_lifecycle
--   (its IN list of varchar constants is re-cast to text[] every time).
--   PL/pgSQL keeps its expressions compiled for the whole session, so the
--   tests move into the functions, and the CHECK is rewritten over a text[]
--   literal, which leaves nothing to fold.
-- * The wake-up of listeners was a statement trigger on session_lifecycle
--   (one more WHEN clause per lifecycle row); it is now two lines at the end
--   of log_session_lifecycle().
-- * Each child row (context, handoff request, snapshot) ran up to three
--   triggers - read-only guard, activity, content size - each its own
--   PL/pgSQL call, and the activity trigger rewrote the session row (every
--   index of sessions, since last_activity_at is indexed) on every message.
--   One BEFORE trigger now does all three with one look-up of the session,
--   and last_activity_at moves at most once per activity_resolution (a new
--   column of retention_policies, default 1 minute) unless the session is
--   dormant, which reactivates it at once. The dormant schedule waits that
--   much longer, so no session is marked dormant early because of it.
--
-- Revised (the event type CHECK takes any lower-case type); a database that
-- applied the first revision has this migration applied (010 relaxes it):
-- supersedes: 22faaae1188cb7c596087b8fc1558144bdf088a0d94f6b874e668665369cbd96

-- ---------------------------------------------------------------------------
-- Activity resolution per retention policy
-- ---------------------------------------------------------------------------
ALTER TABLE retention_policies ADD COLUMN IF NOT EXISTS activity_resolution interval NOT NULL DEFAULT interval '1 minute';
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conname = 'retention_policies_activity_resolution_check'
                      AND conrelid = 'retention_policies'::regclass) THEN
        ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_activity_resolution_check
            CHECK (activity_resolution >= interval '0');
    END IF;
END;
$$;

-- As in 002, but dormant_due_at allows for the resolution: the recorded
-- last_activity_at may be up to one resolution older than the last activity.
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
         THEN coalesce(s.last_activity_at, s.updated_at, s.created_at) + p.dormant_after + p.activity_resolution END AS dormant_due_at,
    CASE WHEN p.archive_after IS NOT NULL AND s.status IN ('expired', 'completed', 'cancelled')
         THEN CASE WHEN s.status = 'expired'
                   THEN greatest(coalesce(s.expires_at, s.created_at + p.session_ttl, s.updated_at),
                                 coalesce(s.last_activity_at, s.updated_at, s.created_at))
                   ELSE coalesce(s.last_activity_at, s.updated_at, s.created_at) END
              + p.archive_after END AS archive_due_at,
    CASE WHEN p.purge_after IS NOT NULL THEN s.archived_at + p.purge_after END AS purge_due_at
FROM sessions s
JOIN retention_policies p ON p.name = s.retention_policy;

-- ---------------------------------------------------------------------------
-- Child rows: one trigger per table
-- ---------------------------------------------------------------------------
-- For context_history, handoff_requests and codebase_snapshots:
--   * rows of an archived session cannot be inserted, changed or deleted
--     (during a purge, handoff_top.purging = 'on', the session row is already
--     gone when the cascade reaches its children);
--   * new context, new handoff requests and a handoff's change of status are
--     activity: they move the session's last_activity_at (at most once per
--     resolution; always when the session is dormant, which reactivates it
--     through update_sessions_last_activity);
--   * context_history.content_size_bytes is filled from the content unless
--     the writer sets it.
CREATE OR REPLACE FUNCTION session_child_write() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    sid uuid;
    activity boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('handoff_top.purging', true) = 'on' THEN
            RETURN OLD;
        END IF;
        sid := OLD.session_id;
    ELSE
        IF TG_OP = 'UPDATE' AND OLD.session_id IS DISTINCT FROM NEW.session_id THEN
            -- moving a row out of an archived session changes that session too
            SELECT x.session_key INTO s FROM sessions x WHERE x.id = OLD.session_id AND x.archived_at IS NOT NULL;
            IF FOUND THEN
                RAISE EXCEPTION 'session % (%) is archived and read-only: cannot update %', s.session_key, OLD.session_id, TG_TABLE_NAME
                    USING ERRCODE = 'read_only_sql_transaction',
                          HINT = 'Archived sessions can be read; only the lifecycle sweep purges them.';
            END IF;
        END IF;
        sid := NEW.session_id;
        IF TG_TABLE_NAME = 'context_history' THEN
            IF TG_OP = 'INSERT' THEN
                IF NEW.content_size_bytes IS NULL THEN
                    NEW.content_size_bytes := octet_length(NEW.content);
                END IF;
            ELSIF NEW.content IS DISTINCT FROM OLD.content
                  AND NEW.content_size_bytes IS NOT DISTINCT FROM OLD.content_size_bytes THEN
                NEW.content_size_bytes := octet_length(NEW.content);
            END IF;
        END IF;
    END IF;

    SELECT x.session_key, x.archived_at, x.is_dormant, x.last_activity_at, p.activity_resolution
      INTO s
      FROM sessions x LEFT JOIN retention_policies p ON p.name = x.retention_policy
     WHERE x.id = sid;
    IF NOT FOUND THEN
        -- no such session (the foreign key decides), or a purge's cascade
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF s.archived_at IS NOT NULL THEN
        RAISE EXCEPTION 'session % (%) is archived and read-only: cannot % %', s.session_key, sid, lower(TG_OP), TG_TABLE_NAME
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'Archived sessions can be read; only the lifecycle sweep purges them.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;

    -- (separate branches: NEW.status exists on handoff_requests only)
    IF TG_TABLE_NAME = 'context_history' THEN
        activity := TG_OP = 'INSERT';
    ELSIF TG_TABLE_NAME = 'handoff_requests' THEN
        IF TG_OP = 'INSERT' THEN
            activity := true;
        ELSE
            activity := NEW.status IS DISTINCT FROM OLD.status;
        END IF;
    ELSE
        activity := false;
    END IF;
    IF activity AND (s.is_dormant
                     OR s.last_activity_at IS NULL
                     OR s.last_activity_at <= now() - coalesce(s.activity_resolution, interval '0')) THEN
        UPDATE sessions
           SET last_activity_at = now()
         WHERE id = sid
           AND (last_activity_at IS NULL OR last_activity_at < now());
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS record_context_activity ON context_history;
DROP TRIGGER IF EXISTS set_context_content_size ON context_history;
DROP TRIGGER IF EXISTS enforce_archived_read_only ON context_history;
DROP TRIGGER IF EXISTS record_handoff_activity ON handoff_requests;
DROP TRIGGER IF EXISTS enforce_archived_read_only ON handoff_requests;
DROP TRIGGER IF EXISTS enforce_archived_read_only ON codebase_snapshots;
DROP FUNCTION IF EXISTS record_session_activity();
DROP FUNCTION IF EXISTS set_context_content_size();
DROP FUNCTION IF EXISTS enforce_archived_child_read_only();

CREATE OR REPLACE TRIGGER session_child_write
    BEFORE INSERT OR UPDATE OR DELETE ON context_history
    FOR EACH ROW EXECUTE FUNCTION session_child_write();
CREATE OR REPLACE TRIGGER session_child_write
    BEFORE INSERT OR UPDATE OR DELETE ON handoff_requests
    FOR EACH ROW EXECUTE FUNCTION session_child_write();
CREATE OR REPLACE TRIGGER session_child_write
    BEFORE INSERT OR UPDATE OR DELETE ON codebase_snapshots
    FOR EACH ROW EXECUTE FUNCTION session_child_write();

-- ---------------------------------------------------------------------------
-- Sessions: no WHEN clauses
-- ---------------------------------------------------------------------------
-- update_sessions_last_activity runs for every update (cheaper than
-- re-reading a WHEN clause) and also refuses updates of archived sessions;
-- enforce_archived_session_read_only keeps the (rare) deletes.
CREATE OR REPLACE FUNCTION update_last_activity_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.archived_at IS NOT NULL THEN
        RAISE EXCEPTION 'session % (%) is archived and read-only', OLD.session_key, OLD.id
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'Archived sessions can be read; only the lifecycle sweep purges them.';
    END IF;

    -- last_activity_at moves only on real activity: here, a status change made
    -- by the application. An UPDATE that sets last_activity_at itself keeps its
    -- value; lifecycle bookkeeping (anything the sweep does) never moves it.
    IF NEW.status IS DISTINCT FROM OLD.status
       AND NEW.last_activity_at IS NOT DISTINCT FROM OLD.last_activity_at
       AND coalesce(nullif(current_setting('handoff_top.lifecycle_reason', true), ''), 'application') = 'application' THEN
        NEW.last_activity_at := now();
    END IF;

    -- Activity on a dormant session reactivates it.
    IF OLD.is_dormant AND NEW.is_dormant
       AND NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at
       AND NEW.last_activity_at > coalesce(OLD.last_activity_at, OLD.updated_at, OLD.created_at, '-infinity') THEN
        NEW.is_dormant := false;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER update_sessions_last_activity
    BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION update_last_activity_column();

CREATE OR REPLACE TRIGGER enforce_archived_session_read_only
    BEFORE DELETE ON sessions
    FOR EACH ROW
    WHEN (OLD.archived_at IS NOT NULL)
    EXECUTE FUNCTION enforce_archived_session_read_only();

-- ---------------------------------------------------------------------------
-- Lifecycle rows: the wake-up inside the trigger
-- ---------------------------------------------------------------------------
-- What the statement trigger notify_lifecycle_listeners did, as a function:
-- look at the gate at most once per window per backend (the session setting
-- handoff_top.notify_skip_until, epoch ms, says until when it need not), and
-- claim the window with the payload's keys when a monitor is listening.
CREATE OR REPLACE FUNCTION lifecycle_wake_listeners() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g record;
    width integer;
    w bigint;
    ev record;
    events bigint;
BEGIN
    SELECT min_interval_ms, last_window, listener_present, listener_checked_at, listener_pattern
      INTO g FROM lifecycle_notify_gate WHERE id = 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    width := greatest(g.min_interval_ms, 1);
    w := floor(extract(epoch FROM clock_timestamp()) * 1000 / width);
    -- whatever happens below, this backend need not look again before the next window
    PERFORM set_config('handoff_top.notify_skip_until', ((w + 1) * width)::text, false);
    IF g.last_window >= w THEN
        RETURN;                 -- someone already notified in this window
    END IF;
    IF g.listener_pattern IS NOT NULL AND NOT g.listener_present
       AND g.listener_checked_at >= clock_timestamp() - interval '1 second' THEN
        -- nobody listening, checked less than a second ago: skip until that check expires
        PERFORM set_config('handoff_top.notify_skip_until',
                           (extract(epoch FROM g.listener_checked_at + interval '1 second') * 1000)::text, false);
        RETURN;
    END IF;
    -- the payload's keys, from this transaction's events
    SELECT l.id, l.session_id, l.event_type INTO ev
      FROM session_lifecycle l WHERE l.xid = pg_current_xact_id() ORDER BY l.seq DESC LIMIT 1;
    SELECT count(*) INTO events FROM session_lifecycle l WHERE l.xid = pg_current_xact_id();
    PERFORM lifecycle_notify_claim(json_build_object(
        'xid', pg_current_xact_id()::text,
        'event_id', ev.id,
        'session_id', ev.session_id,
        'event_type', ev.event_type,
        'events', events)::text);
END;
$$;

DROP TRIGGER IF EXISTS notify_lifecycle_listeners ON session_lifecycle;
DROP FUNCTION IF EXISTS notify_lifecycle_listeners();

-- As in 001 (same events, same payloads), returning early when nothing in
-- the session's lifecycle changed, and waking the listeners at the end.
CREATE OR REPLACE FUNCTION log_session_lifecycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.status IS NOT DISTINCT FROM OLD.status
       AND NEW.is_dormant IS NOT DISTINCT FROM OLD.is_dormant
       AND (NEW.archived_at IS NOT DISTINCT FROM OLD.archived_at OR NEW.archived_at IS NULL) THEN
        RETURN NULL;
    END IF;
    reason := coalesce(nullif(current_setting('handoff_top.lifecycle_reason', true), ''), 'application');

    IF TG_OP = 'INSERT' THEN
        INSERT INTO session_lifecycle (session_id, event_type, event_data)
        VALUES (NEW.id, 'created', jsonb_build_object(
            'status', NEW.status,
            'agent_from', NEW.agent_from,
            'agent_to', NEW.agent_to,
            'retention_policy', NEW.retention_policy,
            'expires_at', NEW.expires_at));
    ELSE
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            IF NEW.status = 'expired' THEN
                INSERT INTO session_lifecycle (session_id, event_type, event_data)
                VALUES (NEW.id, 'expired', jsonb_build_object(
                    'old_status', OLD.status,
                    'new_status', NEW.status,
                    'expires_at', NEW.expires_at,
                    'retention_policy', NEW.retention_policy,
                    'reason', reason));
            ELSE
                INSERT INTO session_lifecycle (session_id, event_type, event_data)
                VALUES (NEW.id, 'status_changed', jsonb_build_object(
                    'old_status', OLD.status,
                    'new_status', NEW.status,
                    'reason', reason));
            END IF;
        END IF;

        IF NEW.is_dormant IS DISTINCT FROM OLD.is_dormant THEN
            IF NEW.is_dormant THEN
                INSERT INTO session_lifecycle (session_id, event_type, event_data)
                VALUES (NEW.id, 'dormant', jsonb_build_object(
                    'previous_state', 'active',
                    'status', NEW.status,
                    'last_activity_at', coalesce(NEW.last_activity_at, NEW.updated_at, NEW.created_at),
                    'inactive_hours', round((extract(epoch FROM now() - coalesce(OLD.last_activity_at, OLD.updated_at, OLD.created_at)) / 3600)::numeric, 2),
                    'retention_policy', NEW.retention_policy,
                    'reason', reason));
            ELSE
                INSERT INTO session_lifecycle (session_id, event_type, event_data)
                VALUES (NEW.id, 'reactivated', jsonb_build_object(
                    'previous_state', 'dormant',
                    'status', NEW.status,
                    'dormant_since_activity_at', coalesce(OLD.last_activity_at, OLD.updated_at, OLD.created_at),
                    'last_activity_at', NEW.last_activity_at,
                    'retention_policy', NEW.retention_policy,
                    'reason', reason));
            END IF;
        END IF;

        IF NEW.archived_at IS DISTINCT FROM OLD.archived_at AND NEW.archived_at IS NOT NULL THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'archived', jsonb_build_object(
                'previous_state', CASE WHEN OLD.is_dormant THEN 'dormant' ELSE OLD.status END,
                'status', NEW.status,
                'archived_at', NEW.archived_at,
                'retention_policy', NEW.retention_policy,
                'reason', reason));
        END IF;
    END IF;

    IF coalesce(nullif(current_setting('handoff_top.notify_skip_until', true), '')::float8, 0)
       <= date_part('epoch', clock_timestamp()) * 1000 THEN
        PERFORM lifecycle_wake_listeners();
    END IF;
    RETURN NULL;
END;
$$;

-- The event type rule without an IN list to fold per statement. Revised: any
-- lower-case type, as 010 has it (the handoff server logs types of its own,
-- e.g. 'expiration_scheduled', and a database it wrote holds them).
-- NOT VALID then VALIDATE: existing rows are checked without a rewrite.
ALTER TABLE session_lifecycle DROP CONSTRAINT IF EXISTS session_lifecycle_event_type_check;
ALTER TABLE session_lifecycle ADD CONSTRAINT session_lifecycle_event_type_check
    CHECK (event_type::text ~ '^[a-z][a-z0-9_]*$') NOT VALID;
ALTER TABLE session_lifecycle VALIDATE CONSTRAINT session_lifecycle_event_type_check;

-- Each backend takes 32 values of the event ordinal at a time instead of
-- locking the sequence for every lifecycle row. seq orders the events of one
-- transaction (one backend, so still increasing); the feed orders by (xid, seq).
ALTER TABLE session_lifecycle ALTER COLUMN seq SET CACHE 32;
-- <<< 006_lighter_triggers.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (6, 'lighter_triggers', 'cc36db8f62f4f3e0a1b7322e565162fa67d7b3507836134cec8ba0bce7df0098', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 007_dashboard_at_scale.sql
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
-- <<< 007_dashboard_at_scale.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (7, 'dashboard_at_scale', 'bd6055e4bbd681693b3c6ee179bdb89000eef9bf56abc18d1ae8e3b85e2bb2c7', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 008_sweep_dry_run.sql
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
-- <<< 008_sweep_dry_run.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (8, 'sweep_dry_run', '97dc8f0b932fbefcaa11f519cec25eee65b84cdde80d6c5a9f47d060da53ca5d', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 009_redundant_indexes.sql
-- 009_redundant_indexes
-- Fewer index entries per write of the handoff server (bench/ §1 and
-- BENCHMARKS.md): a status change is not a HOT update (status and
-- last_activity_at are indexed), so it adds an entry to every index of
-- sessions whose predicate the row meets, and each new context row one to
-- every index of context_history.
--
-- * Four indexes of the pre-enhancement schema repeat another index of their
--   table: idx_sessions_session_key is the index of the UNIQUE constraint on
--   session_key over again, idx_context_history_session_sequence that of
--   UNIQUE (session_id, sequence_number); idx_sessions_status and
--   idx_context_history_session_id are the leading column of
--   idx_sessions_status_last_activity and of that UNIQUE index, which answer
--   every look-up they answer. Each is dropped only when such an index
--   (valid, B-tree, not partial, same leading columns, operator classes and
--   collations) is there; nothing else is touched.
-- * idx_sessions_dormant_last_activity, the spec's "composite index for dormant
--   sessions", holds the dormant sessions only (WHERE is_dormant), like
--   idx_sessions_is_dormant: the dormant list reads it that way, and live
--   sessions - nearly all of them, nearly all the writes - no longer pay for an
--   entry. Live sessions by activity are read through idx_sessions_lifecycle_due
--   and idx_sessions_status_last_activity.

DO $$
DECLARE
    redundant text;
BEGIN
    FOREACH redundant IN ARRAY ARRAY['idx_sessions_session_key', 'idx_sessions_status',
                                     'idx_context_history_session_id', 'idx_context_history_session_sequence'] LOOP
        IF EXISTS (
            SELECT 1
              FROM pg_index r
              JOIN pg_class ri ON ri.oid = r.indexrelid
              JOIN pg_index c ON c.indrelid = r.indrelid AND c.indexrelid <> r.indexrelid
              JOIN pg_class ci ON ci.oid = c.indexrelid
             WHERE r.indexrelid = to_regclass(format('public.%I', redundant))
               AND ri.relam = ci.relam AND ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
               AND r.indpred IS NULL AND r.indexprs IS NULL AND NOT r.indisunique
               AND c.indisvalid AND c.indpred IS NULL AND c.indexprs IS NULL
               AND c.indnkeyatts >= r.indnkeyatts
               AND (SELECT bool_and(c.indkey[i] = r.indkey[i] AND c.indclass[i] = r.indclass[i]
                                    AND c.indcollation[i] = r.indcollation[i]
                                    AND c.indoption[i] = r.indoption[i])
                      FROM generate_series(0, r.indnkeyatts - 1) i)
        ) THEN
            EXECUTE format('DROP INDEX public.%I', redundant);
        END IF;
    END LOOP;
END;
$$;

DROP INDEX IF EXISTS idx_sessions_dormant_last_activity;
CREATE INDEX idx_sessions_dormant_last_activity ON sessions (is_dormant, last_activity_at) WHERE is_dormant;
-- <<< 009_redundant_indexes.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (9, 'redundant_indexes', 'c2ea10d4a49817e325c7fa804f731606e8dd2298bc3bab4737a9e4e55cfc58ff', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 010_real_server.sql
-- 010_real_server
-- The real handoff server (ragusa-it/ai-handoff-mcp) runs DDL at every start:
-- CREATE OR REPLACE of the spec's views with its own column list, CREATE OR
-- REPLACE FUNCTION + DROP TRIGGER IF EXISTS + CREATE TRIGGER for
-- update_sessions_updated_at, update_sessions_last_activity (which sets
-- last_activity_at = now() on every update) and log_session_lifecycle, and
-- CREATE INDEX IF NOT EXISTS of its indexes. From its first start on it owns
-- those names. So:
--
-- * the spec-named views get exactly the server's columns (names, order,
--   types): its CREATE OR REPLACE VIEW is then a no-op instead of 42P16, and
--   the monitor reads views of its own (handoff_top_session_view,
--   handoff_top_performance_view);
-- * the spec-named triggers run functions of the server's names, which write
--   the same lifecycle rows as the server's, so nothing changes when it
--   replaces them;
-- * handoff-top's guarantees live in objects whose names the server never
--   touches, and hold whichever bodies the spec-named triggers have:
--     - zz_handoff_top_session_update (BEFORE UPDATE on sessions; triggers of
--       one event fire in name order, so it runs after the spec's two, whatever
--       their bodies): archived sessions are read-only; last_activity_at
--       moves only on real activity (lifecycle bookkeeping - dormancy,
--       archival, expiry, expires_at, the policy, anything the sweep or an
--       operator does - puts it back); activity on a dormant session
--       reactivates it;
--     - handoff_top_lifecycle_row (BEFORE INSERT on session_lifecycle): every
--       lifecycle row, whoever writes it, says its reason and policy; a status
--       change to 'expired' is the 'expired' event; an application's own row
--       that repeats an event a trigger wrote moments before is merged into it
--       (the server logs each lifecycle change again after its UPDATE); and
--       listeners are woken;
--     - enforce_archived_session_read_only (BEFORE DELETE): an archived
--       session may be deleted once its purge is due under its policy, by
--       anyone, and the deletion leaves its audit row; before that, refused;
-- * what real writers write is accepted: any lower-case event type and
--   aggregation type; a second aggregation for one bucket replaces the first;
--   context types and handoff statuses as the server's own tables have them;
--   a purge detaches performance_logs (ON DELETE SET NULL) instead of failing.

-- ---------------------------------------------------------------------------
-- The spec-named functions, behaving as the server's
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;

-- The server's sets last_activity_at = now() on every update; handoff-top's
-- leaves it to zz_handoff_top_session_update below, which decides it either
-- way (so an explicit value other than now() is kept until the server's
-- version is in place, which overwrites it before any later trigger sees it).
CREATE OR REPLACE FUNCTION update_last_activity_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION log_session_lifecycle_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO session_lifecycle (session_id, event_type, event_data)
        VALUES (NEW.id, 'created', jsonb_build_object(
            'agent_from', NEW.agent_from,
            'agent_to', NEW.agent_to,
            'retention_policy', NEW.retention_policy));
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status != NEW.status THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'status_changed', jsonb_build_object('old_status', OLD.status, 'new_status', NEW.status));
        END IF;
        IF OLD.is_dormant != NEW.is_dormant THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, CASE WHEN NEW.is_dormant THEN 'dormant' ELSE 'reactivated' END,
                    jsonb_build_object('previous_state', OLD.is_dormant));
        END IF;
        IF OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'archived', jsonb_build_object('archived_at', NEW.archived_at, 'final_status', NEW.status));
        END IF;
        RETURN NEW;
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER update_sessions_updated_at
    BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_sessions_last_activity
    BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION update_last_activity_at();
CREATE OR REPLACE TRIGGER log_session_lifecycle
    AFTER INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION log_session_lifecycle_event();
DROP FUNCTION IF EXISTS update_last_activity_column();
DROP FUNCTION IF EXISTS log_session_lifecycle();

-- ---------------------------------------------------------------------------
-- Sessions: handoff-top's rules, after the spec's BEFORE UPDATE triggers
-- ---------------------------------------------------------------------------
-- Triggers of one event fire in name order: this one runs after
-- update_sessions_last_activity and update_sessions_updated_at, whatever
-- their bodies, and decides last_activity_at from OLD.
CREATE OR REPLACE FUNCTION handoff_top_session_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    IF OLD.archived_at IS NOT NULL THEN
        RAISE EXCEPTION 'session % (%) is archived and read-only', OLD.session_key, OLD.id
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'Archived sessions can be read; they can be deleted once their purge is due.';
    END IF;
    IF pg_trigger_depth() > 1 THEN
        -- An update from one of handoff-top's triggers (activity from a child
        -- row): the value it set stands.
        NULL;
    ELSIF NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at AND NEW.last_activity_at IS DISTINCT FROM now() THEN
        -- Set explicitly to a value of the writer's: kept.
        NULL;
    ELSE
        reason := coalesce(nullif(current_setting('handoff_top.lifecycle_reason', true), ''), 'application');
        IF OLD.is_dormant AND NOT NEW.is_dormant THEN
            -- A reactivation is activity.
            NEW.last_activity_at := now();
        ELSIF reason <> 'application'
              OR NEW.is_dormant IS DISTINCT FROM OLD.is_dormant
              OR NEW.archived_at IS DISTINCT FROM OLD.archived_at
              OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
              OR NEW.retention_policy IS DISTINCT FROM OLD.retention_policy
              OR (NEW.status = 'expired' AND OLD.status IS DISTINCT FROM 'expired') THEN
            -- Lifecycle bookkeeping (anything the sweep or an operator does,
            -- dormancy, archival, expiry, the schedule) is not activity.
            NEW.last_activity_at := OLD.last_activity_at;
        ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
            -- A status change by the application is activity.
            NEW.last_activity_at := now();
        ELSIF NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at
              AND NEW.metadata IS NOT DISTINCT FROM OLD.metadata THEN
            -- The application touching the session (SET last_activity_at = now()):
            -- activity. (With the server's update_sessions_last_activity every
            -- update looks like this; one that changes the metadata is not.)
            NULL;
        ELSE
            NEW.last_activity_at := OLD.last_activity_at;
        END IF;
    END IF;
    -- Activity on a dormant session reactivates it.
    IF OLD.is_dormant AND NEW.is_dormant
       AND NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at
       AND NEW.last_activity_at > coalesce(OLD.last_activity_at, OLD.updated_at, OLD.created_at, '-infinity') THEN
        NEW.is_dormant := false;
    END IF;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER zz_handoff_top_session_update
    BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION handoff_top_session_update();

-- ---------------------------------------------------------------------------
-- Archived sessions: deleted when their purge is due, with an audit row
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION enforce_archived_session_read_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    due timestamptz;
BEGIN
    IF TG_OP <> 'DELETE' OR OLD.archived_at IS NULL THEN
        RETURN OLD;
    END IF;
    IF current_setting('handoff_top.purging', true) = 'on' THEN
        RETURN OLD;                 -- the sweep's purge, which writes its own audit row
    END IF;
    SELECT OLD.archived_at + p.purge_after INTO due FROM retention_policies p WHERE p.name = OLD.retention_policy;
    IF due IS NULL OR due > now() THEN
        RAISE EXCEPTION 'session % (%) is archived and read-only until its purge is due (%)', OLD.session_key, OLD.id,
                coalesce(to_char(due AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'), 'never, under policy ' || coalesce(OLD.retention_policy, 'none'))
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'Archived sessions can be read; they can be deleted once archived_at + the policy''s purge_after has passed.';
    END IF;
    INSERT INTO session_purge_audit (session_id, session_key, agent_from, agent_to, status, retention_policy,
                                     session_created_at, archived_at, purged_at, deleted_rows,
                                     lifecycle_events, session_row)
    VALUES (OLD.id, OLD.session_key, OLD.agent_from, OLD.agent_to, OLD.status, OLD.retention_policy,
            OLD.created_at, OLD.archived_at, now(),
            jsonb_build_object(
                'context_history', (SELECT count(*) FROM context_history x WHERE x.session_id = OLD.id),
                'handoff_requests', (SELECT count(*) FROM handoff_requests x WHERE x.session_id = OLD.id),
                'codebase_snapshots', (SELECT count(*) FROM codebase_snapshots x WHERE x.session_id = OLD.id),
                'session_lifecycle', (SELECT count(*) FROM session_lifecycle x WHERE x.session_id = OLD.id),
                'performance_logs_detached', (SELECT count(*) FROM performance_logs x WHERE x.session_id = OLD.id)),
            coalesce((SELECT jsonb_agg(jsonb_build_object('event_type', l.event_type, 'event_data', l.event_data,
                                                          'created_at', l.created_at) ORDER BY l.created_at)
                        FROM session_lifecycle l WHERE l.session_id = OLD.id), '[]'::jsonb),
            to_jsonb(OLD));
    RETURN OLD;
END;
$$;

CREATE OR REPLACE TRIGGER enforce_archived_session_read_only
    BEFORE DELETE ON sessions
    FOR EACH ROW
    WHEN (OLD.archived_at IS NOT NULL)
    EXECUTE FUNCTION enforce_archived_session_read_only();

-- A purge detaches a session's performance_logs rows (they stay, without
-- session_id) instead of failing on the legacy foreign key that has no ON
-- DELETE action.
DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN
        SELECT c.conname
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.conrelid = 'performance_logs'::regclass AND c.contype = 'f'
           AND c.confrelid = 'sessions'::regclass AND a.attname = 'session_id'
           AND c.confdeltype <> 'n'
    LOOP
        EXECUTE format('ALTER TABLE performance_logs DROP CONSTRAINT %I', fk.conname);
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint c
                    WHERE c.conrelid = 'performance_logs'::regclass AND c.contype = 'f'
                      AND c.confrelid = 'sessions'::regclass) THEN
        -- NOT VALID then VALIDATE: existing rows are checked without holding a long lock.
        ALTER TABLE performance_logs ADD CONSTRAINT performance_logs_session_id_fkey
            FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE SET NULL NOT VALID;
        ALTER TABLE performance_logs VALIDATE CONSTRAINT performance_logs_session_id_fkey;
    END IF;
END;
$$;

-- ---------------------------------------------------------------------------
-- Lifecycle rows, whoever writes them
-- ---------------------------------------------------------------------------
-- written_by: 'trigger' (a trigger on sessions wrote it), 'application' (a
-- writer inserted it), 'trigger+application' (an application's row merged
-- into the trigger's).
ALTER TABLE session_lifecycle ADD COLUMN IF NOT EXISTS written_by text;

CREATE OR REPLACE FUNCTION handoff_top_lifecycle_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    earlier record;
    reason text := coalesce(nullif(current_setting('handoff_top.lifecycle_reason', true), ''), 'application');
    extra jsonb;
BEGIN
    NEW.event_data := coalesce(NEW.event_data, '{}'::jsonb);
    IF pg_trigger_depth() > 1 THEN
        NEW.written_by := 'trigger';
    ELSE
        NEW.written_by := 'application';
        -- The application logging a change the trigger logged moments before:
        -- one event, with the application's details added.
        SELECT l.id, l.event_data INTO earlier
          FROM session_lifecycle l
         WHERE l.session_id = NEW.session_id AND l.event_type = NEW.event_type
           AND l.written_by = 'trigger' AND l.created_at >= now() - interval '1 minute'
         ORDER BY l.created_at DESC
         LIMIT 1;
        IF FOUND THEN
            UPDATE session_lifecycle
               SET event_data = NEW.event_data || earlier.event_data, written_by = 'trigger+application'
             WHERE id = earlier.id;
            RETURN NULL;
        END IF;
    END IF;

    SELECT x.status, x.retention_policy, x.expires_at, x.is_dormant,
           coalesce(x.last_activity_at, x.updated_at, x.created_at) AS last_active
      INTO s FROM sessions x WHERE x.id = NEW.session_id;
    IF NEW.event_type = 'status_changed' AND NEW.event_data->>'new_status' = 'expired' THEN
        NEW.event_type := 'expired';
    END IF;
    extra := jsonb_build_object('reason', reason, 'retention_policy', s.retention_policy);
    CASE NEW.event_type
        WHEN 'created' THEN
            extra := extra || jsonb_build_object('status', s.status, 'expires_at', s.expires_at);
        WHEN 'expired' THEN
            extra := extra || jsonb_build_object('expires_at', s.expires_at);
        WHEN 'dormant' THEN
            extra := extra || jsonb_build_object(
                'status', s.status,
                'last_activity_at', s.last_active,
                'inactive_hours', round((extract(epoch FROM now() - s.last_active) / 3600)::numeric, 2));
        WHEN 'reactivated' THEN
            extra := extra || jsonb_build_object('status', s.status, 'last_activity_at', s.last_active);
        WHEN 'archived' THEN
            extra := extra || jsonb_build_object('status', s.status, 'previous_state', coalesce(NEW.event_data->>'final_status', s.status));
        ELSE
            NULL;
    END CASE;
    -- What the writer said wins; handoff-top only adds what is missing.
    NEW.event_data := jsonb_strip_nulls(extra) || NEW.event_data;

    IF coalesce(nullif(current_setting('handoff_top.notify_skip_until', true), '')::float8, 0)
       <= date_part('epoch', clock_timestamp()) * 1000 THEN
        PERFORM lifecycle_wake_listeners(NEW.id, NEW.session_id, NEW.event_type);
    END IF;
    RETURN NEW;
END;
$$;

-- As 006's, with the event being written (a BEFORE trigger cannot read it back);
-- without the gate's row it claims anyway, which re-creates the row (011).
CREATE OR REPLACE FUNCTION lifecycle_wake_listeners(p_event_id uuid, p_session_id uuid, p_event_type text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g record;
    width integer;
    w bigint;
    events bigint;
BEGIN
    SELECT min_interval_ms, last_window, listener_present, listener_checked_at, listener_pattern
      INTO g FROM lifecycle_notify_gate WHERE id = 1;
    IF FOUND THEN
        width := greatest(g.min_interval_ms, 1);
        w := floor(extract(epoch FROM clock_timestamp()) * 1000 / width);
        PERFORM set_config('handoff_top.notify_skip_until', ((w + 1) * width)::text, false);
        IF g.last_window >= w THEN
            RETURN;
        END IF;
        IF g.listener_pattern IS NOT NULL AND NOT g.listener_present
           AND g.listener_checked_at >= clock_timestamp() - interval '1 second' THEN
            PERFORM set_config('handoff_top.notify_skip_until',
                               (extract(epoch FROM g.listener_checked_at + interval '1 second') * 1000)::text, false);
            RETURN;
        END IF;
    END IF;
    SELECT count(*) + 1 INTO events FROM session_lifecycle l WHERE l.xid = pg_current_xact_id();
    PERFORM lifecycle_notify_claim(json_build_object(
        'xid', pg_current_xact_id()::text,
        'event_id', p_event_id,
        'session_id', p_session_id,
        'event_type', p_event_type,
        'events', events)::text);
END;
$$;
DROP FUNCTION IF EXISTS lifecycle_wake_listeners();

CREATE OR REPLACE TRIGGER handoff_top_lifecycle_row
    BEFORE INSERT ON session_lifecycle
    FOR EACH ROW EXECUTE FUNCTION handoff_top_lifecycle_row();

-- Any lower-case event type: the spec's six are the ones handoff-top's
-- triggers write; applications log their own (the server: 'expiration_scheduled').
ALTER TABLE session_lifecycle DROP CONSTRAINT IF EXISTS session_lifecycle_event_type_check;
ALTER TABLE session_lifecycle ADD CONSTRAINT session_lifecycle_event_type_check
    CHECK (event_type::text ~ '^[a-z][a-z0-9_]*$') NOT VALID;
ALTER TABLE session_lifecycle VALIDATE CONSTRAINT session_lifecycle_event_type_check;

-- ---------------------------------------------------------------------------
-- Aggregations: any lower-case type; a repeated bucket replaces the earlier row
-- ---------------------------------------------------------------------------
ALTER TABLE analytics_aggregations DROP CONSTRAINT IF EXISTS analytics_aggregations_aggregation_type_check;
ALTER TABLE analytics_aggregations ADD CONSTRAINT analytics_aggregations_aggregation_type_check
    CHECK (aggregation_type::text ~ '^[a-z][a-z0-9_]*$') NOT VALID;
ALTER TABLE analytics_aggregations VALIDATE CONSTRAINT analytics_aggregations_aggregation_type_check;

CREATE OR REPLACE FUNCTION handoff_top_aggregation_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Two writers of one bucket at once: the second waits for the first.
    PERFORM pg_advisory_xact_lock(hashtext('handoff-top:aggregation:' || NEW.aggregation_type),
                                  (extract(epoch FROM NEW.time_bucket)::bigint % 2147483647)::integer);
    DELETE FROM analytics_aggregations a
     WHERE a.aggregation_type = NEW.aggregation_type AND a.time_bucket = NEW.time_bucket;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER handoff_top_aggregation_row
    BEFORE INSERT ON analytics_aggregations
    FOR EACH ROW EXECUTE FUNCTION handoff_top_aggregation_row();

-- A database that applied 004's first revision: its unique index goes (the
-- trigger keeps one row per bucket from now on; the server's rows from
-- before stay as they are). refresh_analytics_aggregations() fills
-- 'session_stats', 'handoff_stats' and 'performance_trends' for one time
-- bucket; re-running a bucket deletes its rows first, so it needs no unique
-- index (it replaces the first revision of 004's, which used ON CONFLICT).
DROP INDEX IF EXISTS uq_analytics_aggregations_type_bucket;
CREATE INDEX IF NOT EXISTS idx_analytics_aggregations_type_time_bucket
    ON analytics_aggregations (aggregation_type, time_bucket);
CREATE OR REPLACE FUNCTION refresh_analytics_aggregations(
    p_bucket_start timestamptz,
    p_bucket_width interval DEFAULT interval '1 hour'
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    bucket_end timestamptz := p_bucket_start + p_bucket_width;
    written integer;
BEGIN
    IF p_bucket_width <= interval '0' THEN
        RAISE EXCEPTION 'bucket width must be positive, got %', p_bucket_width;
    END IF;

    -- A re-run replaces the bucket's rows.
    DELETE FROM analytics_aggregations a
     WHERE a.time_bucket = p_bucket_start
       AND a.aggregation_type IN ('session_stats', 'handoff_stats', 'performance_trends');

    WITH stats (aggregation_type, aggregation_data) AS (
        SELECT 'session_stats', jsonb_build_object(
            'bucket_width', p_bucket_width::text,
            'sessions_created', (SELECT count(*) FROM sessions s
                                  WHERE s.created_at >= p_bucket_start AND s.created_at < bucket_end),
            'events', coalesce((SELECT jsonb_object_agg(e.event_type, e.n) FROM (
                            SELECT l.event_type, count(*) AS n FROM session_lifecycle l
                             WHERE l.created_at >= p_bucket_start AND l.created_at < bucket_end
                             GROUP BY l.event_type) e), '{}'::jsonb),
            'active_at_end', (SELECT count(*) FROM sessions s
                               WHERE s.created_at < bucket_end AND s.archived_at IS NULL
                                 AND s.status = 'active' AND NOT s.is_dormant),
            'dormant_at_end', (SELECT count(*) FROM sessions s
                                WHERE s.created_at < bucket_end AND s.archived_at IS NULL AND s.is_dormant),
            'context_entries', (SELECT count(*) FROM context_history c
                                 WHERE c.created_at >= p_bucket_start AND c.created_at < bucket_end),
            'context_bytes', (SELECT coalesce(sum(c.content_size_bytes), 0) FROM context_history c
                               WHERE c.created_at >= p_bucket_start AND c.created_at < bucket_end))
        UNION ALL
        SELECT 'handoff_stats', jsonb_build_object(
            'bucket_width', p_bucket_width::text,
            'requests', count(*),
            'by_status', coalesce((SELECT jsonb_object_agg(x.status, x.n) FROM (
                            SELECT h.status, count(*) AS n FROM handoff_requests h
                             WHERE h.created_at >= p_bucket_start AND h.created_at < bucket_end
                             GROUP BY h.status) x), '{}'::jsonb),
            'by_type', coalesce((SELECT jsonb_object_agg(x.request_type, x.n) FROM (
                            SELECT h.request_type, count(*) AS n FROM handoff_requests h
                             WHERE h.created_at >= p_bucket_start AND h.created_at < bucket_end
                             GROUP BY h.request_type) x), '{}'::jsonb),
            'avg_completion_seconds', round(avg(extract(epoch FROM h.completed_at - h.created_at))::numeric, 2))
          FROM handoff_requests h
         WHERE h.created_at >= p_bucket_start AND h.created_at < bucket_end
        UNION ALL
        SELECT 'performance_trends', jsonb_build_object(
            'bucket_width', p_bucket_width::text,
            'operations', coalesce(jsonb_object_agg(o.operation, jsonb_build_object(
                'calls', o.calls, 'failures', o.failures, 'avg_ms', o.avg_ms,
                'p95_ms', o.p95_ms, 'max_ms', o.max_ms)), '{}'::jsonb))
          FROM (SELECT pl.operation, count(*) AS calls, count(*) FILTER (WHERE NOT pl.success) AS failures,
                       round(avg(pl.duration_ms), 2) AS avg_ms,
                       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY pl.duration_ms)::numeric, 2) AS p95_ms,
                       max(pl.duration_ms) AS max_ms
                  FROM performance_logs pl
                 WHERE pl.created_at >= p_bucket_start AND pl.created_at < bucket_end
                 GROUP BY pl.operation) o
    )
    INSERT INTO analytics_aggregations (aggregation_type, time_bucket, aggregation_data)
    SELECT stats.aggregation_type, p_bucket_start, stats.aggregation_data FROM stats;

    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END;
$$;

-- ---------------------------------------------------------------------------
-- Base tables as the server has them: no CHECK on context types or handoff statuses
-- ---------------------------------------------------------------------------
ALTER TABLE context_history DROP CONSTRAINT IF EXISTS context_history_context_type_check;
ALTER TABLE handoff_requests DROP CONSTRAINT IF EXISTS handoff_requests_status_check;

-- ---------------------------------------------------------------------------
-- Views: the spec's with the server's columns, the monitor's own beside them
-- ---------------------------------------------------------------------------
CREATE OR REPLACE VIEW handoff_top_session_view AS
SELECT
    s.id,
    s.session_key,
    s.agent_from,
    s.agent_to,
    s.status,
    s.created_at,
    s.updated_at,
    s.expires_at,
    s.last_activity_at,
    s.is_dormant,
    s.archived_at,
    s.retention_policy,
    s.metadata,
    round((extract(epoch FROM now() - coalesce(s.last_activity_at, s.updated_at, s.created_at)) / 3600)::numeric, 2)
        AS hours_since_activity,
    (SELECT count(*) FROM context_history ch WHERE ch.session_id = s.id) AS context_count,
    (SELECT count(*) FROM handoff_requests hr WHERE hr.session_id = s.id) AS handoff_count,
    (SELECT sl.event_type FROM session_lifecycle sl
      WHERE sl.session_id = s.id ORDER BY sl.created_at DESC LIMIT 1) AS last_lifecycle_event,
    (SELECT max(sl.created_at) FROM session_lifecycle sl WHERE sl.session_id = s.id) AS last_lifecycle_event_at
FROM sessions s;

CREATE OR REPLACE VIEW handoff_top_performance_view AS
SELECT
    pl.operation,
    count(*) AS total_calls,
    count(*) FILTER (WHERE pl.success) AS successful_calls,
    count(*) FILTER (WHERE NOT pl.success) AS failed_calls,
    round(100.0 * count(*) FILTER (WHERE pl.success) / count(*), 2) AS success_rate_percent,
    round(avg(pl.duration_ms), 2) AS avg_duration_ms,
    min(pl.duration_ms) AS min_duration_ms,
    max(pl.duration_ms) AS max_duration_ms,
    round(percentile_cont(0.95) WITHIN GROUP (ORDER BY pl.duration_ms)::numeric, 2) AS p95_duration_ms,
    min(pl.created_at) AS first_call_at,
    max(pl.created_at) AS last_call_at
FROM performance_logs pl
WHERE pl.created_at >= now() - interval '24 hours'
GROUP BY pl.operation;

-- The spec's views, replaced (their columns change, which CREATE OR REPLACE
-- cannot do); whoever could read them can read them again, and the monitor's
-- views beside them.
DO $$
DECLARE
    v text;
    acl aclitem[];
    owner oid;
    g record;
BEGIN
    FOREACH v IN ARRAY ARRAY['session_monitoring_view', 'performance_monitoring_view'] LOOP
        SELECT c.relacl, c.relowner INTO acl, owner FROM pg_class c
         WHERE c.oid = to_regclass(v) AND c.relkind = 'v';
        EXECUTE format('DROP VIEW IF EXISTS %I', v);
        IF v = 'session_monitoring_view' THEN
            CREATE VIEW session_monitoring_view AS
            SELECT s.id, s.session_key, s.agent_from, s.agent_to, s.status, s.created_at, s.updated_at,
                   s.last_activity_at, s.is_dormant, s.archived_at, s.retention_policy, s.expires_at,
                   extract(epoch FROM now() - s.last_activity_at) / 3600 AS hours_since_activity,
                   (SELECT count(*) FROM context_history ch WHERE ch.session_id = s.id) AS context_entries,
                   (SELECT count(*) FROM handoff_requests hr WHERE hr.session_id = s.id) AS handoff_requests,
                   (SELECT sl.event_type FROM session_lifecycle sl WHERE sl.session_id = s.id
                     ORDER BY sl.created_at DESC LIMIT 1) AS last_lifecycle_event
              FROM sessions s;
        ELSE
            CREATE VIEW performance_monitoring_view AS
            SELECT operation,
                   count(*) AS total_calls,
                   avg(duration_ms) AS avg_duration_ms,
                   min(duration_ms) AS min_duration_ms,
                   max(duration_ms) AS max_duration_ms,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_duration_ms,
                   count(*) FILTER (WHERE success = true) AS successful_calls,
                   count(*) FILTER (WHERE success = false) AS failed_calls,
                   count(*) FILTER (WHERE success = true) * 100.0 / count(*) AS success_rate_percent
              FROM performance_logs
             WHERE created_at >= now() - interval '24 hours'
             GROUP BY operation
             ORDER BY total_calls DESC;
        END IF;
        CONTINUE WHEN acl IS NULL;      -- the owner's default privileges only
        FOR g IN SELECT DISTINCT e.grantee FROM aclexplode(acl) e
                  WHERE e.privilege_type = 'SELECT' AND e.grantee <> owner LOOP
            EXECUTE format('GRANT SELECT ON %I, %I TO %s', v,
                           CASE v WHEN 'session_monitoring_view' THEN 'handoff_top_session_view' ELSE 'handoff_top_performance_view' END,
                           CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
        END LOOP;
    END LOOP;
END;
$$;
-- <<< 010_real_server.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (10, 'real_server', '2ba72bf4842a4fda14466c347378c73b9e4365ae3467b3af89bfffea32782bbe', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 011_durable_wakeup.sql
-- 011_durable_wakeup
-- The wake-up survives a crash and a promotion, and a hot standby can read the
-- gate (validate, the monitor role's SELECT).
--
-- 003 made lifecycle_notify_gate UNLOGGED: crash recovery and promotion empty
-- an unlogged table, so the gate lost its row and every writer's wake-up
-- returned early - readers fell back to their safety poll and nothing said
-- so - and a standby cannot read an unlogged table at all. The gate is now a
-- logged table. Its writes stay cheap: the row is updated at most once per
-- min_interval_ms window (100 ms) and once a second for the listener check,
-- a few hundred bytes of WAL a second at most, and never while nobody listens.
-- Should the row go missing anyway (a DELETE, a restore without it), the
-- first writer to look re-creates it.

ALTER TABLE lifecycle_notify_gate SET LOGGED;
INSERT INTO lifecycle_notify_gate (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

-- As 003's, and a missing row is re-created with the defaults.
CREATE OR REPLACE FUNCTION lifecycle_notify_claim(p_payload text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    g lifecycle_notify_gate%ROWTYPE;
    present boolean;
    current_window bigint;
BEGIN
    SELECT * INTO g FROM lifecycle_notify_gate WHERE id = 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        -- Another transaction holds the gate right now (it claims this window):
        -- nothing to do, and never wait for it. An INSERT ... ON CONFLICT would
        -- wait for that transaction to end, holding up this writer. Only a row
        -- that is not there at all (a plain read never waits) comes back.
        IF EXISTS (SELECT 1 FROM lifecycle_notify_gate WHERE id = 1) THEN
            RETURN false;
        END IF;
        INSERT INTO lifecycle_notify_gate (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
        SELECT * INTO g FROM lifecycle_notify_gate WHERE id = 1 FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
    END IF;
    current_window := floor(extract(epoch FROM clock_timestamp()) * 1000 / greatest(g.min_interval_ms, 1));
    IF g.last_window >= current_window THEN
        RETURN false;           -- this window was used already
    END IF;
    present := g.listener_present;
    IF g.listener_pattern IS NULL THEN
        present := true;
    ELSIF g.listener_checked_at < clock_timestamp() - interval '1 second' THEN
        SELECT EXISTS (SELECT 1 FROM pg_stat_activity a
                        WHERE a.datname = current_database()
                          AND a.pid <> pg_backend_pid()
                          AND a.application_name LIKE g.listener_pattern)
          INTO present;
        UPDATE lifecycle_notify_gate
           SET listener_present = present, listener_checked_at = clock_timestamp()
         WHERE id = 1;
    END IF;
    IF NOT present THEN
        RETURN false;
    END IF;
    UPDATE lifecycle_notify_gate SET last_window = current_window WHERE id = 1;
    PERFORM pg_notify(g.channel, left(p_payload, 1000));
    RETURN true;
END;
$$;
-- <<< 011_durable_wakeup.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (11, 'durable_wakeup', '32400ce5f6e5ee2acb0aceae4e540fbcd7fb7758168f6aa3062465499b134025', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 012_server_index_names.sql
-- 012_server_index_names
-- The handoff server runs CREATE INDEX IF NOT EXISTS for its indexes at every
-- start, by name. 009 dropped four of them because another index of their
-- table answers every look-up they answer; the server's next start created
-- them again, and every write paid for them again (bench/ §1, 'handoff-top+
-- server'). Its start also adds two indexes on session_lifecycle that
-- handoff-top's do not need, and two on system_metrics and
-- analytics_aggregations that repeat another index of their table. A status
-- change is not a HOT update, so each of these is one more index entry per
-- change (and a context row one per row). The server's other indexes (on
-- columns no other index leads with) are its own and stay, and so does
-- idx_performance_logs_operation, which repeats the leading column of
-- idx_performance_logs_operation_created_at but which the spec names.
--
-- Each of those names now belongs to an index the server's statement finds and
-- leaves alone:
--
-- * idx_session_lifecycle_session_id is handoff-top's (session_id,
--   created_at) index, renamed from idx_session_lifecycle_session_created_at:
--   it answers the server's look-ups by session_id too, so the server's
--   (session_id) index is dropped where its start created it.
-- * idx_sessions_session_key, idx_sessions_status,
--   idx_context_history_session_id, idx_context_history_sequence,
--   idx_session_lifecycle_event_type, idx_system_metrics_name and
--   idx_analytics_aggregations_type are name holders: partial indexes WHERE
--   false, which hold no entry and cost a write nothing. The look-ups the
--   server's indexes of those names served go through the index that repeats
--   them (the UNIQUE index on session_key; idx_sessions_status_last_activity,
--   which leads with status; the UNIQUE index on (session_id,
--   sequence_number); idx_system_metrics_name_recorded_at;
--   idx_analytics_aggregations_type_time_bucket); the server never reads
--   session_lifecycle by event_type. A holder replaces the server's index
--   only where that other index is there (valid, B-tree, not partial, the
--   same leading columns, operator classes and collations, as 009 checks),
--   and idx_session_lifecycle_event_type, which nothing repeats, always.
--
-- Dropping a name holder gives the name back: the server's next start creates
-- its index again.

DO $$
DECLARE
    holder record;
BEGIN
    -- the server's (session_id) index, where its start created it, gives way to handoff-top's (session_id, created_at)
    IF to_regclass('public.idx_session_lifecycle_session_created_at') IS NOT NULL THEN
        DROP INDEX IF EXISTS public.idx_session_lifecycle_session_id;
        ALTER INDEX public.idx_session_lifecycle_session_created_at RENAME TO idx_session_lifecycle_session_id;
    END IF;

    FOR holder IN
        SELECT * FROM (VALUES
            ('idx_sessions_session_key', 'sessions', 'session_key', true),
            ('idx_sessions_status', 'sessions', 'status', true),
            ('idx_context_history_session_id', 'context_history', 'session_id', true),
            ('idx_context_history_sequence', 'context_history', 'session_id, sequence_number', true),
            ('idx_session_lifecycle_event_type', 'session_lifecycle', 'event_type', false),
            ('idx_system_metrics_name', 'system_metrics', 'metric_name', true),
            ('idx_analytics_aggregations_type', 'analytics_aggregations', 'aggregation_type', true)
        ) AS h (name, tab, cols, needs_cover)
    LOOP
        -- already a holder: nothing to do
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_indexes
                               WHERE schemaname = 'public' AND indexname = holder.name
                                 AND indexdef LIKE '% WHERE false');
        IF to_regclass(format('public.%I', holder.name)) IS NOT NULL THEN
            -- the server's index of this name: replaced only where another index repeats it
            CONTINUE WHEN holder.needs_cover AND NOT EXISTS (
                SELECT 1
                  FROM pg_index r
                  JOIN pg_class ri ON ri.oid = r.indexrelid
                  JOIN pg_index c ON c.indrelid = r.indrelid AND c.indexrelid <> r.indexrelid
                  JOIN pg_class ci ON ci.oid = c.indexrelid
                 WHERE r.indexrelid = to_regclass(format('public.%I', holder.name))
                   AND ri.relam = ci.relam AND ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
                   AND r.indpred IS NULL AND r.indexprs IS NULL AND NOT r.indisunique
                   AND c.indisvalid AND c.indpred IS NULL AND c.indexprs IS NULL
                   AND c.indnkeyatts >= r.indnkeyatts
                   AND (SELECT bool_and(c.indkey[i] = r.indkey[i] AND c.indclass[i] = r.indclass[i]
                                        AND c.indcollation[i] = r.indcollation[i]
                                        AND c.indoption[i] = r.indoption[i])
                          FROM generate_series(0, r.indnkeyatts - 1) i));
            EXECUTE format('DROP INDEX public.%I', holder.name);
        ELSIF holder.needs_cover AND NOT EXISTS (
                SELECT 1
                  FROM pg_index c
                  JOIN pg_attribute a ON a.attrelid = c.indrelid AND a.attnum = c.indkey[0]
                 WHERE c.indrelid = to_regclass(format('public.%I', holder.tab))
                   AND c.indisvalid AND c.indpred IS NULL AND c.indexprs IS NULL
                   AND a.attname = split_part(holder.cols, ',', 1)) THEN
            -- nothing else leads with these columns: leave the name to the server
            CONTINUE;
        END IF;
        EXECUTE format('CREATE INDEX %I ON public.%I (%s) WHERE false', holder.name, holder.tab, holder.cols);
    END LOOP;
END;
$$;
-- <<< 012_server_index_names.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (12, 'server_index_names', '3ef107a571ec76fe8742c3510248bd5890d550d0d61aec3a20bf5daef45ef419', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 013_log_retention.sql
-- 013_log_retention
-- How long the logs are kept (spec requirements 6.1, 6.2; issue 14), as data
-- beside the session policies of 002: raw performance_logs and system_metrics,
-- each latency rollup tier, analytics_aggregations and the purge audit. The
-- sweep removes what is older in bounded batches (log_retention_batch, one
-- transaction per batch, rows claimed with SKIP LOCKED), so no transaction
-- deletes millions of rows and a writer waits on the sweep for one batch at
-- most. Change a period with an UPDATE:
--     UPDATE log_retention SET keep_for = interval '14 days' WHERE name = 'performance_logs';
-- keep_for NULL keeps the rows for ever.
--
-- The rollups outlive the raw rows, so the charts' 24 h (and any longer)
-- window is drawn from them after the raw rows are gone. Two rules keep them
-- whole whatever the periods:
--   * raw performance_logs are removed only below the rollups' watermark minus
--     the refresh's grace window (refresh_performance_rollups() re-reads the raw
--     rows from there on); before the first refresh, none are removed;
--   * 1-minute rollups are removed only below the hour of that point (the
--     10-minute and hourly tiers are rebuilt from the 1-minute rows of every
--     bucket a refresh touches).
-- Each tier keeps at least 25 hours (the charts' and the performance table's
-- 24 h window reads every tier, with up to an hour at its edges).
-- performance_rollup_state.retention, which refresh_performance_rollups()
-- applies to all tiers at once, follows the longest tier period (a trigger
-- below), so the per-tier periods here are the ones that hold.

CREATE TABLE IF NOT EXISTS log_retention (
    name varchar(50) PRIMARY KEY CHECK (name IN ('performance_logs', 'system_metrics', 'performance_rollup_1m',
        'performance_rollup_10m', 'performance_rollup_1h', 'analytics_aggregations', 'session_purge_audit')),
    keep_for interval,             -- rows older than this are removed by the sweep; NULL: never
    description text NOT NULL DEFAULT '',
    CHECK (keep_for IS NULL OR keep_for >= interval '1 hour'),
    CHECK (name NOT LIKE 'performance\_rollup\_%' OR keep_for IS NULL OR keep_for >= interval '25 hours')
);

INSERT INTO log_retention (name, keep_for, description) VALUES
    ('performance_logs', interval '30 days', 'raw performance_logs rows (by created_at); the session screen''s recent calls and exact p95 read them'),
    ('system_metrics', interval '30 days', 'raw system_metrics rows (by recorded_at); the Metrics screen reads them'),
    ('performance_rollup_1m', interval '35 days', '1-minute latency rollups and their histograms (charts of windows up to 24 h)'),
    ('performance_rollup_10m', interval '90 days', '10-minute latency rollups and their histograms'),
    ('performance_rollup_1h', interval '400 days', 'hourly latency rollups and their histograms (a year and a month)'),
    ('analytics_aggregations', interval '400 days', 'analytics_aggregations rows (by time_bucket)'),
    ('session_purge_audit', interval '365 days', 'purge audit rows, with the purged session''s row and lifecycle history (by purged_at)')
ON CONFLICT (name) DO NOTHING;

-- The batches walk the oldest rows of system_metrics by time (the handoff
-- server creates the same index at its start).
CREATE INDEX IF NOT EXISTS idx_system_metrics_recorded_at ON system_metrics (recorded_at);

-- Each retained table, its time column, and the time below which its rows go:
-- now - keep_for, held back for the rollups as the header says. p_rolled_up_to
-- stands in for the rollups' watermark (the dry run passes the one the sweep's
-- refresh would reach). cutoff NULL: nothing is removed (keep_for NULL).
CREATE OR REPLACE FUNCTION log_retention_cutoffs(p_now timestamptz DEFAULT now(), p_rolled_up_to timestamptz DEFAULT NULL)
RETURNS TABLE (name varchar, table_name text, time_column text, resolution_s integer, keep_for interval,
               cutoff timestamptz, held_by_rollups boolean)
LANGUAGE sql STABLE AS $$
    WITH st AS (
        SELECT coalesce(p_rolled_up_to, max(s.rolled_up_to), '-infinity') AS r,
               coalesce(max(s.grace), interval '5 minutes') AS grace
          FROM performance_rollup_state s
    ), tables (name, table_name, time_column, resolution_s) AS (
        VALUES ('performance_logs', 'performance_logs', 'created_at', NULL::integer),
               ('system_metrics', 'system_metrics', 'recorded_at', NULL),
               ('performance_rollup_1m', 'performance_rollup', 'bucket_start', 60),
               ('performance_rollup_1m', 'performance_rollup_histogram', 'bucket_start', 60),
               ('performance_rollup_10m', 'performance_rollup', 'bucket_start', 600),
               ('performance_rollup_10m', 'performance_rollup_histogram', 'bucket_start', 600),
               ('performance_rollup_1h', 'performance_rollup', 'bucket_start', 3600),
               ('performance_rollup_1h', 'performance_rollup_histogram', 'bucket_start', 3600),
               ('analytics_aggregations', 'analytics_aggregations', 'time_bucket', NULL),
               ('session_purge_audit', 'session_purge_audit', 'purged_at', NULL)
    ), held AS (
        SELECT t.*, p.keep_for, p_now - p.keep_for AS by_age,
               CASE t.name WHEN 'performance_logs' THEN date_trunc('minute', st.r - st.grace)
                           WHEN 'performance_rollup_1m' THEN date_bin('1 hour', date_trunc('minute', st.r - st.grace), timestamptz 'epoch')
                           ELSE 'infinity'::timestamptz END AS by_rollups
          FROM tables t JOIN log_retention p ON p.name = t.name CROSS JOIN st
    )
    SELECT h.name::varchar, h.table_name, h.time_column, h.resolution_s, h.keep_for,
           CASE WHEN h.keep_for IS NOT NULL THEN least(h.by_age, h.by_rollups) END,
           h.keep_for IS NOT NULL AND h.by_rollups < h.by_age
      FROM held h
$$;

-- One batch of one retention period: removes at most p_rows of the oldest
-- rows past its cutoff from each of its tables, claimed with SKIP LOCKED (it
-- never waits on another sweep or writer), and returns what it removed per
-- table (0 and cutoff NULL for a table kept for ever). Run each batch in a
-- transaction of its own (handoff-top sweep does; CALL log_retention_sweep()
-- below does) and repeat until a batch removes nothing (one can remove fewer
-- than p_rows and leave rows: a row a writer updated as the batch claimed it).
CREATE OR REPLACE FUNCTION log_retention_batch(p_name text, p_rows integer DEFAULT 5000, p_now timestamptz DEFAULT now())
RETURNS TABLE (table_name text, removed bigint, cutoff timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
    filter text;
BEGIN
    IF p_rows IS NULL OR p_rows < 1 THEN
        RAISE EXCEPTION 'batch size must be at least 1, got %', p_rows;
    END IF;
    FOR t IN SELECT * FROM log_retention_cutoffs(p_now) c WHERE c.name = p_name ORDER BY c.table_name LOOP
        IF t.cutoff IS NOT NULL THEN
            -- the oldest p_rows rows past the cutoff (the rollups': of one tier), found through the time
            -- column's index and removed by their row address (a TID scan: no join with the table, whose
            -- plan would read all of it every batch); the outer condition again, so a reused address
            -- can never take a newer row
            filter := CASE WHEN t.resolution_s IS NOT NULL THEN format('AND resolution_s = %s', t.resolution_s) ELSE '' END;
            EXECUTE format('DELETE FROM %1$I WHERE ctid = ANY (ARRAY (SELECT ctid FROM %1$I WHERE %2$I < $1 %3$s ORDER BY %2$I LIMIT $2 FOR UPDATE SKIP LOCKED)) AND %2$I < $1 %3$s',
                           t.table_name, t.time_column, filter)
               USING t.cutoff, p_rows;
        END IF;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF t.cutoff IS NULL THEN
            n := 0;
        END IF;
        table_name := t.table_name;
        removed := n;
        cutoff := t.cutoff;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- What the sweep would remove now, per period and table, without removing it
-- (the dry run, the Storage panel). Counts stop at p_cap + 1 (capped says so).
-- A table the caller may not read is reported (readable false), not an error,
-- so the least-privilege monitor role can call it.
CREATE OR REPLACE FUNCTION log_retention_plan(p_now timestamptz DEFAULT now(), p_rolled_up_to timestamptz DEFAULT NULL,
                                              p_cap bigint DEFAULT 1000000)
RETURNS TABLE (name varchar, table_name text, keep_for interval, cutoff timestamptz, held_by_rollups boolean,
               readable boolean, rows_due bigint, capped boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t record;
    n bigint;
BEGIN
    FOR t IN SELECT * FROM log_retention_cutoffs(p_now, p_rolled_up_to) c ORDER BY c.name, c.table_name LOOP
        name := t.name;
        table_name := t.table_name;
        keep_for := t.keep_for;
        cutoff := t.cutoff;
        held_by_rollups := t.held_by_rollups;
        readable := has_table_privilege(t.table_name, 'SELECT');
        rows_due := NULL;
        capped := false;
        IF t.cutoff IS NULL THEN
            rows_due := 0;
        ELSIF readable THEN
            EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I WHERE %I < $1 %s LIMIT $2) s', t.table_name, t.time_column,
                           CASE WHEN t.resolution_s IS NOT NULL THEN format('AND resolution_s = %s', t.resolution_s) ELSE '' END)
               INTO n USING t.cutoff, p_cap + 1;
            capped := n > p_cap;
            rows_due := least(n, p_cap);
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- Every period in batches of p_rows, each batch committed before the next:
-- for pg_cron or psql (CALL log_retention_sweep();), outside a transaction block.
CREATE OR REPLACE PROCEDURE log_retention_sweep(p_rows integer DEFAULT 5000)
LANGUAGE plpgsql AS $$
DECLARE
    p record;
    more boolean;
BEGIN
    FOR p IN SELECT r.name FROM log_retention r ORDER BY r.name LOOP
        LOOP
            SELECT coalesce(bool_or(b.removed > 0), false) INTO more FROM log_retention_batch(p.name, p_rows) b;
            COMMIT;
            EXIT WHEN NOT more;
        END LOOP;
    END LOOP;
END;
$$;

-- refresh_performance_rollups() deletes rollups older than
-- performance_rollup_state.retention from every tier: it follows the longest
-- tier period (for ever: a thousand years), so only the periods above apply.
CREATE OR REPLACE FUNCTION log_retention_rollup_state() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE performance_rollup_state s
       SET retention = (SELECT CASE WHEN count(*) < 3 OR bool_or(r.keep_for IS NULL) THEN interval '1000 years' ELSE max(r.keep_for) END
                          FROM log_retention r WHERE r.name LIKE 'performance\_rollup\_%')
     WHERE s.id = 1;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER log_retention_rollup_state
    AFTER INSERT OR UPDATE OR DELETE ON log_retention
    FOR EACH STATEMENT EXECUTE FUNCTION log_retention_rollup_state();

UPDATE log_retention SET keep_for = keep_for WHERE name = 'performance_rollup_1h';
-- <<< 013_log_retention.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (13, 'log_retention', '69ec5351c83f00f91d2a1c27b04d8d453d06f6a10fb2c16bc861a5c2362812cf', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 014_storage_growth.sql
-- 014_storage_growth
-- The oldest and newest row of a table by one of its time columns, for the
-- Storage panel's growth per day (issue 14 point 3), readable by the
-- least-privilege monitor role: it says when the column cannot be read
-- (readable false) instead of failing, and reads the column only where a
-- B-tree index leads with it or the table is small (under 100,000 rows by the
-- planner's estimate, or the statistics' live rows before the first ANALYZE),
-- so it never scans a large table.

CREATE OR REPLACE FUNCTION storage_time_span(p_table text, p_column text)
RETURNS TABLE (oldest timestamptz, newest timestamptz, readable boolean, indexed boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rel regclass := to_regclass(p_table);
    estimate real;
BEGIN
    IF rel IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = p_column AND NOT a.attisdropped) THEN
        RETURN;
    END IF;
    readable := has_column_privilege(rel, p_column, 'SELECT');
    indexed := EXISTS (
        SELECT 1 FROM pg_index i
          JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] AND a.attname = p_column
         WHERE i.indrelid = rel AND i.indisvalid AND i.indpred IS NULL);
    SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE pg_stat_get_live_tuples(rel) END INTO estimate FROM pg_class c WHERE c.oid = rel;
    IF readable AND (indexed OR estimate BETWEEN 0 AND 100000) THEN
        EXECUTE format('SELECT min(%1$I), max(%1$I) FROM %2$s', p_column, rel) INTO oldest, newest;
    END IF;
    RETURN NEXT;
END;
$$;
-- <<< 014_storage_growth.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (14, 'storage_growth', '03b9ebef9c4bdd587c9334ed38638240c62134e49d20488fc346aa3019ccae56', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 015_partition_retention.sql
-- 015_partition_retention
-- The retention of a partitioned performance_logs or system_metrics (issue
-- 14; `handoff-top partition` converts them to daily range partitions by
-- created_at / recorded_at) in SQL, so the sweep without handoff-top
-- (CALL log_retention_sweep(), from psql, cron or pg_cron) drops whole expired
-- partitions as `handoff-top sweep` does, before its row batches:
--
--   SELECT * FROM log_retention_partitions();              -- drop expired days, create the next 3
--   SELECT * FROM log_retention_partitions(3, true);       -- the dry run: what it would do, no DDL
--   CALL log_retention_sweep();                            -- partitions, then the row batches
--
-- A partition goes when its upper bound is at or below the table's retention
-- cutoff (log_retention_cutoffs of 013: the period, and for performance_logs
-- held back to what the rollups have read), so only days entirely past it go;
-- the rows left past the cutoff are the batches'. The daily partitions of the
-- next p_ahead days (UTC) that are missing are created, owned by the table's
-- owner; a day whose rows the DEFAULT partition holds already is skipped and
-- said so. Each DROP and CREATE takes a short ACCESS EXCLUSIVE lock on the
-- partitioned table (catalog work). A table that is not partitioned is left
-- out (returns no row).

CREATE OR REPLACE FUNCTION log_retention_partitions(p_ahead integer DEFAULT 3, p_dry_run boolean DEFAULT false, p_now timestamptz DEFAULT now())
RETURNS TABLE (table_name text, action text, partition_name text, upper_bound timestamptz, cutoff timestamptz, reason text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    t record;
    r record;
    d integer;
    day_start timestamptz;
    part text;
BEGIN
    IF p_ahead IS NULL OR p_ahead < 0 THEN
        RAISE EXCEPTION 'partitions ahead must be at least 0, got %', p_ahead;
    END IF;
    FOR t IN SELECT c.table_name AS tab, k.oid AS rel, k.relowner, c.keep_for, c.held_by_rollups,
                    CASE WHEN isfinite(c.cutoff) THEN c.cutoff END AS cut
               FROM log_retention_cutoffs(p_now) c
               JOIN pg_catalog.pg_class k ON k.oid = to_regclass(c.table_name) AND k.relkind = 'p'
              WHERE c.name IN ('performance_logs', 'system_metrics')
              ORDER BY c.table_name LOOP
        table_name := t.tab;
        action := 'partitioned';
        partition_name := NULL;
        upper_bound := NULL;
        cutoff := t.cut;
        reason := CASE WHEN t.keep_for IS NULL THEN 'kept for ever' WHEN t.cut IS NULL THEN 'nothing is rolled up yet' END;
        RETURN NEXT;
        reason := NULL;
        -- the partitions entirely past the cutoff (a day's, the converted table's up to its bound)
        FOR r IN SELECT p.relname::text AS relname,
                        substring(pg_catalog.pg_get_expr(p.relpartbound, p.oid) FROM $re$ TO \('([^']+)'\)$re$)::timestamptz AS upper
                   FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid
                  WHERE i.inhparent = t.rel ORDER BY 2 LOOP
            CONTINUE WHEN t.cut IS NULL OR r.upper IS NULL OR r.upper > t.cut;
            IF NOT p_dry_run THEN
                EXECUTE format('DROP TABLE %I', r.relname);
            END IF;
            action := 'dropped';
            partition_name := r.relname;
            upper_bound := r.upper;
            RETURN NEXT;
        END LOOP;
        -- the next days' partitions
        FOR d IN 0 .. p_ahead - 1 LOOP
            day_start := date_trunc('day', p_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(days => d);
            part := t.tab || '_p' || to_char(day_start AT TIME ZONE 'UTC', 'YYYYMMDD');
            CONTINUE WHEN to_regclass(part) IS NOT NULL;
            -- a day another partition covers already: the converted table (FROM MINVALUE up to its bound), or
            -- one made by someone else (pg_partman's premade ones, of other names)
            CONTINUE WHEN EXISTS (SELECT 1 FROM (SELECT pg_catalog.pg_get_expr(p.relpartbound, p.oid) AS expr
                                                   FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhrelid
                                                  WHERE i.inhparent = t.rel) b
                                   WHERE substring(b.expr FROM $re$ TO \('([^']+)'\)$re$)::timestamptz > day_start
                                     AND (b.expr LIKE 'FOR VALUES FROM (MINVALUE)%'
                                          OR substring(b.expr FROM $re$^FOR VALUES FROM \('([^']+)'\)$re$)::timestamptz < day_start + interval '1 day'));
            partition_name := part;
            upper_bound := day_start + interval '1 day';
            BEGIN
                IF NOT p_dry_run THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, t.tab, day_start, day_start + interval '1 day');
                    IF (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(part)) <> t.relowner THEN
                        EXECUTE format('ALTER TABLE %I OWNER TO %I', part, pg_catalog.pg_get_userbyid(t.relowner));
                    END IF;
                END IF;
                action := 'created';
                reason := NULL;
            EXCEPTION WHEN check_violation OR invalid_object_definition THEN
                action := 'skipped';
                reason := SQLERRM;
            END;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END;
$$;

-- The whole log retention for pg_cron or psql, outside a transaction block:
-- the partitions first (one transaction, waiting at most 2 s for a lock when
-- the role sets no lock_timeout of its own), then every period in batches of
-- p_rows, each batch committed before the next. Replaces 013's
-- log_retention_sweep(integer), which did not drop partitions.
DROP PROCEDURE IF EXISTS log_retention_sweep(integer);
CREATE PROCEDURE log_retention_sweep(p_rows integer DEFAULT 5000, p_ahead integer DEFAULT 3)
LANGUAGE plpgsql AS $$
DECLARE
    p record;
    more boolean;
BEGIN
    IF current_setting('lock_timeout') IN ('0', '0ms') THEN
        PERFORM set_config('lock_timeout', '2s', true);
    END IF;
    PERFORM count(*) FROM log_retention_partitions(p_ahead);
    COMMIT;
    FOR p IN SELECT r.name FROM log_retention r ORDER BY r.name LOOP
        LOOP
            SELECT coalesce(bool_or(b.removed > 0), false) INTO more FROM log_retention_batch(p.name, p_rows) b;
            COMMIT;
            EXIT WHEN NOT more;
        END LOOP;
    END LOOP;
END;
$$;
-- <<< 015_partition_retention.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (15, 'partition_retention', '188a09c52d0e43cd5a268fe7b4c092c86376eb67032a21e34a719cb1dac5f6e2', NULL, false)
ON CONFLICT (version) DO NOTHING;

-- >>> 016_free_name_holders.sql
-- 016_free_name_holders
-- Lighter writes in the state a real database is in (bench/ §1,
-- 'handoff-top+server' against the server's own schema), measured by counting
-- the instructions one status change costs a PostgreSQL 15 backend
-- (callgrind, single-user backend, 400 changes, the wake-up skipped as between
-- two windows): the server's own schema 385 k, handoff-top+server 558 k before
-- this migration. Two of the differences need not be there:
--
-- * The name holders of 012 were partial indexes WHERE false. They hold no
--   entry, but the executor still opens each one and prepares its predicate
--   for every statement that writes the table (6 k instructions a holder a
--   statement). A name is held as well by any relation: the server's
--   CREATE INDEX IF NOT EXISTS skips a name a sequence has ("relation already
--   exists, skipping"), and a sequence nobody calls costs a write nothing. Each
--   holder index becomes a sequence of the same name (in this migration's one
--   transaction, so the name is never free).
-- * The event-type CHECK of 010 moves into handoff_top_lifecycle_row, which
--   every lifecycle row passes through anyway (23 k a row: a CHECK expression
--   is prepared once per statement, and the server's trigger writes each row
--   with a statement of its own). The same rule and the same error (23514,
--   naming session_lifecycle_event_type_check); the trigger now also fires on
--   an UPDATE OF event_type.
--
-- Dropping a holder sequence gives its name back: the server's next start
-- creates its index again.

DO $$
DECLARE
    holder text;
BEGIN
    FOREACH holder IN ARRAY ARRAY['idx_sessions_session_key', 'idx_sessions_status',
                                  'idx_context_history_session_id', 'idx_context_history_sequence',
                                  'idx_session_lifecycle_event_type', 'idx_system_metrics_name',
                                  'idx_analytics_aggregations_type'] LOOP
        -- only 012's holders (partial indexes WHERE false); the server's own indexes and the names 012 left to it stay
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_indexes
                                   WHERE schemaname = 'public' AND indexname = holder AND indexdef LIKE '% WHERE false');
        EXECUTE format('DROP INDEX public.%I', holder);
        EXECUTE format('CREATE SEQUENCE public.%I', holder);
        EXECUTE format('COMMENT ON SEQUENCE public.%I IS %L', holder,
                       'handoff-top: holds this name so that the handoff server''s CREATE INDEX IF NOT EXISTS '
                       || 'skips an index another index already answers for (migrations 012, 016); never used');
    END LOOP;
END;
$$;

ALTER TABLE session_lifecycle DROP CONSTRAINT IF EXISTS session_lifecycle_event_type_check;

CREATE OR REPLACE FUNCTION handoff_top_lifecycle_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    s record;
    earlier record;
    reason text := coalesce(nullif(current_setting('handoff_top.lifecycle_reason', true), ''), 'application');
    extra jsonb;
BEGIN
    -- Any lower-case event type (was a CHECK, which a row inserted from a
    -- trigger paid for in full each time: the executor prepares a table's CHECK
    -- expressions once per statement, and each lifecycle row is a statement).
    IF NEW.event_type NOT IN ('created', 'status_changed', 'dormant', 'reactivated', 'archived', 'expired')
       AND NEW.event_type !~ '^[a-z][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'new row for relation "session_lifecycle" violates check constraint "session_lifecycle_event_type_check"'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'session_lifecycle_event_type_check', TABLE = 'session_lifecycle',
                  DETAIL = format('event_type %L is not a lower-case name (letters, digits, _).', NEW.event_type);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    NEW.event_data := coalesce(NEW.event_data, '{}'::jsonb);
    IF pg_trigger_depth() > 1 THEN
        NEW.written_by := 'trigger';
    ELSE
        NEW.written_by := 'application';
        -- The application logging a change the trigger logged moments before:
        -- one event, with the application's details added.
        SELECT l.id, l.event_data INTO earlier
          FROM session_lifecycle l
         WHERE l.session_id = NEW.session_id AND l.event_type = NEW.event_type
           AND l.written_by = 'trigger' AND l.created_at >= now() - interval '1 minute'
         ORDER BY l.created_at DESC
         LIMIT 1;
        IF FOUND THEN
            UPDATE session_lifecycle
               SET event_data = NEW.event_data || earlier.event_data, written_by = 'trigger+application'
             WHERE id = earlier.id;
            RETURN NULL;
        END IF;
    END IF;

    SELECT x.status, x.retention_policy, x.expires_at, x.is_dormant,
           coalesce(x.last_activity_at, x.updated_at, x.created_at) AS last_active
      INTO s FROM sessions x WHERE x.id = NEW.session_id;
    IF NEW.event_type = 'status_changed' AND NEW.event_data->>'new_status' = 'expired' THEN
        NEW.event_type := 'expired';
    END IF;
    extra := jsonb_build_object('reason', reason, 'retention_policy', s.retention_policy);
    CASE NEW.event_type
        WHEN 'created' THEN
            extra := extra || jsonb_build_object('status', s.status, 'expires_at', s.expires_at);
        WHEN 'expired' THEN
            extra := extra || jsonb_build_object('expires_at', s.expires_at);
        WHEN 'dormant' THEN
            extra := extra || jsonb_build_object(
                'status', s.status,
                'last_activity_at', s.last_active,
                'inactive_hours', round((extract(epoch FROM now() - s.last_active) / 3600)::numeric, 2));
        WHEN 'reactivated' THEN
            extra := extra || jsonb_build_object('status', s.status, 'last_activity_at', s.last_active);
        WHEN 'archived' THEN
            extra := extra || jsonb_build_object('status', s.status, 'previous_state', coalesce(NEW.event_data->>'final_status', s.status));
        ELSE
            NULL;
    END CASE;
    -- What the writer said wins; handoff-top only adds what is missing.
    NEW.event_data := jsonb_strip_nulls(extra) || NEW.event_data;

    IF coalesce(nullif(current_setting('handoff_top.notify_skip_until', true), '')::float8, 0)
       <= date_part('epoch', clock_timestamp()) * 1000 THEN
        PERFORM lifecycle_wake_listeners(NEW.id, NEW.session_id, NEW.event_type);
    END IF;
    RETURN NEW;
END;
$$;


CREATE OR REPLACE TRIGGER handoff_top_lifecycle_row
    BEFORE INSERT OR UPDATE OF event_type ON session_lifecycle
    FOR EACH ROW EXECUTE FUNCTION handoff_top_lifecycle_row();
-- <<< 016_free_name_holders.sql
INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES (16, 'free_name_holders', 'a5e8a47f2c7cc842c2e80f8a1d1730bb3c001d2dd3174e924be05a492f285d19', NULL, false)
ON CONFLICT (version) DO NOTHING;

COMMIT;
