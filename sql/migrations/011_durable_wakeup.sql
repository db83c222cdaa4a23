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

