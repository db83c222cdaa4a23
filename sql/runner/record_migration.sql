INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)
VALUES ($1, $2, $3, $4, $5)
