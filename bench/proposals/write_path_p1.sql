-- Proposed change P1 to migration 001 (measured by `npm run bench` as
-- 'handoff-top+P1+monitor', applied after the migrations):
-- log_session_lifecycle runs only for updates that change a lifecycle column
-- (a WHEN clause), so activity updates from context and handoff inserts no
-- longer call it. A WHEN clause cannot read OLD on INSERT, so creation gets its
-- own trigger, log_session_created: the spec's trigger becomes AFTER UPDATE
-- only, and test/schema/spec-objects.test.ts (which pins 'AFTER INSERT OR
-- UPDATE') would change with it.
-- P1
DROP TRIGGER IF EXISTS log_session_lifecycle ON sessions;
CREATE TRIGGER log_session_created
    AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION log_session_lifecycle();
CREATE TRIGGER log_session_lifecycle
    AFTER UPDATE ON sessions
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.is_dormant IS DISTINCT FROM NEW.is_dormant
          OR OLD.archived_at IS DISTINCT FROM NEW.archived_at)
    EXECUTE FUNCTION log_session_lifecycle();

