-- The spec's reference implementation (shared/spec/enhanced-session-monitoring.md)
-- as it writes its triggers, installed on top of sql/reference/base_schema.sql.
-- The benchmarks (bench/) measure handoff-top's schema against it; nothing
-- else uses it. It keeps the reference's design choices on purpose:
--   * update_sessions_last_activity sets last_activity_at = now() on EVERY
--     update of a session (so dormancy/archival bookkeeping resets inactivity,
--     and every update touches an indexed column: never a HOT update);
--   * lifecycle logging compares with `!=`, which is not null-safe;
--   * one pg_notify per lifecycle row, carrying the event itself.
-- Its one defect that PostgreSQL rejects outright is fixed: the reference
-- quotes function bodies with a single `$`; here they are `$$`-quoted so the
-- file installs and runs.

ALTER TABLE sessions ADD COLUMN last_activity_at timestamptz DEFAULT now();
ALTER TABLE sessions ADD COLUMN is_dormant boolean DEFAULT false;
ALTER TABLE sessions ADD COLUMN archived_at timestamptz;
ALTER TABLE sessions ADD COLUMN retention_policy varchar(50) DEFAULT 'standard';

ALTER TABLE context_history ADD COLUMN processing_time_ms integer;
ALTER TABLE context_history ADD COLUMN content_size_bytes integer;

CREATE TABLE session_lifecycle (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    event_type varchar(50) NOT NULL
        CHECK (event_type IN ('created', 'expired', 'archived', 'dormant', 'reactivated', 'status_changed')),
    event_data jsonb DEFAULT '{}',
    created_at timestamptz DEFAULT now()
);

CREATE TABLE system_metrics (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    metric_name varchar(255) NOT NULL,
    metric_value decimal NOT NULL,
    metric_type varchar(20) NOT NULL CHECK (metric_type IN ('counter', 'gauge', 'histogram')),
    labels jsonb DEFAULT '{}',
    recorded_at timestamptz DEFAULT now()
);

CREATE TABLE performance_logs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    operation varchar(100) NOT NULL,
    duration_ms integer NOT NULL,
    success boolean NOT NULL DEFAULT true,
    session_id uuid REFERENCES sessions(id) ON DELETE SET NULL,
    metadata jsonb DEFAULT '{}',
    created_at timestamptz DEFAULT now()
);

CREATE TABLE analytics_aggregations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    aggregation_type varchar(50) NOT NULL
        CHECK (aggregation_type IN ('session_stats', 'handoff_stats', 'performance_trends')),
    time_bucket timestamptz NOT NULL,
    aggregation_data jsonb DEFAULT '{}',
    created_at timestamptz DEFAULT now()
);

CREATE INDEX idx_sessions_last_activity_at ON sessions (last_activity_at);
CREATE INDEX idx_sessions_is_dormant ON sessions (is_dormant);
CREATE INDEX idx_sessions_archived_at ON sessions (archived_at);
CREATE INDEX idx_sessions_retention_policy ON sessions (retention_policy);
CREATE INDEX idx_sessions_status_last_activity ON sessions (status, last_activity_at);
CREATE INDEX idx_sessions_dormant_last_activity ON sessions (is_dormant, last_activity_at);

CREATE INDEX idx_session_lifecycle_session_id ON session_lifecycle (session_id);
CREATE INDEX idx_session_lifecycle_event_type ON session_lifecycle (event_type);
CREATE INDEX idx_session_lifecycle_created_at ON session_lifecycle (created_at);

CREATE INDEX idx_performance_logs_operation ON performance_logs (operation);
CREATE INDEX idx_performance_logs_operation_created_at ON performance_logs (operation, created_at);
CREATE INDEX idx_performance_logs_created_at ON performance_logs (created_at);
CREATE INDEX idx_system_metrics_name_recorded_at ON system_metrics (metric_name, recorded_at);
CREATE INDEX idx_system_metrics_labels ON system_metrics USING gin (labels);

-- Lifecycle logging, as the reference writes it: `!=` comparisons.
CREATE OR REPLACE FUNCTION log_session_lifecycle() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO session_lifecycle (session_id, event_type, event_data)
        VALUES (NEW.id, 'created', jsonb_build_object(
            'agent_from', NEW.agent_from,
            'agent_to', NEW.agent_to,
            'status', NEW.status,
            'metadata', NEW.metadata));
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.status != NEW.status THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'status_changed', jsonb_build_object(
                'old_status', OLD.status,
                'new_status', NEW.status));
        END IF;
        IF OLD.is_dormant != NEW.is_dormant THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, CASE WHEN NEW.is_dormant THEN 'dormant' ELSE 'reactivated' END,
                    jsonb_build_object('last_activity_at', OLD.last_activity_at));
        END IF;
        IF OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL THEN
            INSERT INTO session_lifecycle (session_id, event_type, event_data)
            VALUES (NEW.id, 'archived', jsonb_build_object('archived_at', NEW.archived_at));
        END IF;
        RETURN NEW;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER log_session_lifecycle
    AFTER INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION log_session_lifecycle();

-- Activity tracking, as the reference writes it: every update is "activity".
CREATE OR REPLACE FUNCTION update_last_activity_column() RETURNS trigger AS $$
BEGIN
    NEW.last_activity_at = now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER update_sessions_last_activity
    BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION update_last_activity_column();

-- One notification per lifecycle row, the event in the payload.
CREATE OR REPLACE FUNCTION notify_session_lifecycle() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('session_lifecycle', json_build_object(
        'id', NEW.id,
        'session_id', NEW.session_id,
        'event_type', NEW.event_type,
        'event_data', NEW.event_data,
        'created_at', NEW.created_at)::text);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER notify_session_lifecycle
    AFTER INSERT ON session_lifecycle
    FOR EACH ROW EXECUTE FUNCTION notify_session_lifecycle();

CREATE OR REPLACE VIEW session_monitoring_view AS
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
    EXTRACT(EPOCH FROM (now() - s.last_activity_at)) / 3600 AS hours_since_activity,
    (SELECT count(*) FROM context_history ch WHERE ch.session_id = s.id) AS context_count,
    (SELECT count(*) FROM handoff_requests hr WHERE hr.session_id = s.id) AS handoff_count,
    (SELECT sl.event_type FROM session_lifecycle sl
      WHERE sl.session_id = s.id ORDER BY sl.created_at DESC LIMIT 1) AS last_lifecycle_event
FROM sessions s;

CREATE OR REPLACE VIEW performance_monitoring_view AS
SELECT
    operation,
    count(*) AS total_calls,
    avg(duration_ms) AS avg_duration_ms,
    min(duration_ms) AS min_duration_ms,
    max(duration_ms) AS max_duration_ms,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_duration_ms,
    count(*) FILTER (WHERE success) * 100.0 / count(*) AS success_rate_percent
FROM performance_logs
WHERE created_at >= now() - interval '24 hours'
GROUP BY operation;
