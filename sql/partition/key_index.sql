-- Step 3: the unique index the partitioned table's primary key (id, created_at)
-- takes over from the existing table, built without blocking writers.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS performance_logs_legacy_id_created_at ON performance_logs (id, created_at)
