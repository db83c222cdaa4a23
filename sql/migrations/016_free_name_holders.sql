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
