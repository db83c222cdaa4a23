-- The sweep's partition step (log_retention_partitions of 015): drops the
-- partitions of a partitioned performance_logs or system_metrics entirely
-- past its retention cutoff and creates the next $1 days'. $2 true: the dry
-- run, which issues no DDL (the monitor role may run it).
SELECT table_name, action, partition_name, upper_bound, cutoff, reason
FROM log_retention_partitions($1::integer, $2::boolean)
