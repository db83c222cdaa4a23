-- How many daily partitions the sweep keeps ahead (transaction level).
SELECT set_config('handoff_top.partition_ahead', $1::text, true)
