-- Step 2: the scan proving the CHECK, under SHARE UPDATE EXCLUSIVE (writers go on).
ALTER TABLE performance_logs VALIDATE CONSTRAINT performance_logs_legacy_bound
