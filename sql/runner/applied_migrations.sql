-- Applied migrations, or no rows when the tracking table does not exist yet.
SELECT version, name, checksum, applied_at, applied_by, execution_ms, baselined
FROM handoff_top_migrations
ORDER BY version
