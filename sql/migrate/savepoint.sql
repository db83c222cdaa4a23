-- The dry run's stand-in for the BEGIN of one migration's own transaction.
SAVEPOINT handoff_top_migration
