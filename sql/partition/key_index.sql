-- Step 3: the unique index the partitioned table's primary key (id, time)
-- takes over from the existing table, built without blocking writers.
-- Template: {{key_index}}, {{table}}, {{column}}, quoted identifiers.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {{key_index}} ON {{table}} (id, {{column}})
