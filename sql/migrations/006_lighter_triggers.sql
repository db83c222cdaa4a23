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
