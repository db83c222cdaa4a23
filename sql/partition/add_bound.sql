-- Step 1 of the conversion: a CHECK that every row of the existing table has
-- its time and lies below its partition's upper bound, NOT VALID (no scan: a
-- short ACCESS EXCLUSIVE lock to add it). New rows are checked from now on.
DO $$
DECLARE
    tab text := current_setting('handoff_top.partition_table');
    col text := current_setting('handoff_top.partition_column');
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                    WHERE conrelid = tab::regclass AND conname = tab || '_legacy_bound') THEN
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I IS NOT NULL AND %I < %L::timestamptz) NOT VALID',
                       tab, tab || '_legacy_bound', col, col, current_setting('handoff_top.partition_bound'));
    END IF;
END;
$$
