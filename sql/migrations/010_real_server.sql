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
