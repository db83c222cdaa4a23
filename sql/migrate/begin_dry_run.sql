-- migrate --dry-run: one transaction around every pending migration, each run
-- exactly as migrate runs it; always rolled back (sql/migrate/rollback.sql).
BEGIN
