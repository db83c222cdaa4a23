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
