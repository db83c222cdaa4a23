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
