-- The dry run's stand-in for one migration's COMMIT: deferred constraints are
-- checked here, as COMMIT would check them (in a savepoint of their own, so the
-- constraint mode of the migrations after it stays as they would find it), and
-- the migration's changes stay for the migrations after it.
SAVEPOINT handoff_top_deferred;
SET CONSTRAINTS ALL IMMEDIATE;
ROLLBACK TO SAVEPOINT handoff_top_deferred;
RELEASE SAVEPOINT handoff_top_deferred;
RELEASE SAVEPOINT handoff_top_migration
