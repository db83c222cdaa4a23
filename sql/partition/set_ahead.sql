-- How many daily partitions the sweep keeps ahead, and whether it only says
-- what it would drop and create ($2 'true': the dry run, which the monitor
-- role, without the right to drop, may run too). Transaction level.
SELECT set_config('handoff_top.partition_ahead', $1::text, true), set_config('handoff_top.partition_dry_run', $2::text, true)
