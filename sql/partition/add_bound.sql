-- Step 1 of the conversion: a CHECK that every row of the existing table lies
-- below its partition's upper bound, NOT VALID (no scan: a short ACCESS
-- EXCLUSIVE lock to add it). New rows are checked from now on.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                    WHERE conrelid = 'performance_logs'::regclass AND conname = 'performance_logs_legacy_bound') THEN
        EXECUTE format('ALTER TABLE performance_logs ADD CONSTRAINT performance_logs_legacy_bound CHECK (created_at < %L::timestamptz) NOT VALID',
                       current_setting('handoff_top.partition_bound'));
    END IF;
END;
$$
