-- The dry run's stand-in for one failed migration's ROLLBACK.
ROLLBACK TO SAVEPOINT handoff_top_migration;
RELEASE SAVEPOINT handoff_top_migration
