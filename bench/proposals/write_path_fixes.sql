-- Proposed changes to the write path of migrations 001-004 (owned by the
-- coordinator). P2-P4 were adopted into 001-003 at commit ad2d1b4, so on the
-- current migrations this file changes little; it stays to reproduce the
-- measurement against older schemas. Originally measured by `npm run bench` as the configuration
-- 'handoff-top+P2-P4+monitor' (and, with write_path_p1.sql,
-- 'handoff-top+P1-P4+monitor'): handoff-top's migrations, then this file.
-- Behaviour is unchanged (test/schema passes with it applied as migration
-- 006); only the work per write shrinks:
--   P2 enforce_archived_session_read_only runs only for archived rows.
--   P3 update_sessions_last_activity runs only when it can change something.
--   P4 the wake-up NOTIFY: no transition table, and each backend remembers
--      (session setting handoff_top.notify_skip_until) until when it need
--      not look at the gate - the current window is taken, or nobody has
--      been listening for the last second - so most lifecycle inserts run no
--      PL/pgSQL for it at all. Same bound (one NOTIFY per window
--      cluster-wide, none without a listener), same payload keys.

-- P2
CREATE OR REPLACE TRIGGER enforce_archived_session_read_only
    BEFORE UPDATE OR DELETE ON sessions
    FOR EACH ROW
    WHEN (OLD.archived_at IS NOT NULL)
    EXECUTE FUNCTION enforce_archived_session_read_only();

-- P3 (the function's two cases, as a WHEN clause)
CREATE OR REPLACE TRIGGER update_sessions_last_activity
    BEFORE UPDATE ON sessions
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR (OLD.is_dormant AND NEW.is_dormant AND NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at))
    EXECUTE FUNCTION update_last_activity_column();

-- P4
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

DROP TRIGGER IF EXISTS notify_lifecycle_listeners ON session_lifecycle;
CREATE TRIGGER notify_lifecycle_listeners
    AFTER INSERT ON session_lifecycle
    FOR EACH STATEMENT
    -- built-in functions only: a SQL function here would be planned again for every statement
    WHEN (coalesce(nullif(current_setting('handoff_top.notify_skip_until', true), '')::float8, 0)
          <= extract(epoch FROM clock_timestamp()) * 1000)
    EXECUTE FUNCTION notify_lifecycle_listeners();
