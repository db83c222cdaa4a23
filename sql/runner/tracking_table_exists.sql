SELECT to_regclass('handoff_top_migrations') IS NOT NULL AS exists
