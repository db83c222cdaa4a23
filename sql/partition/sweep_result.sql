-- What the partition step of the sweep did (sql/partition/sweep.sql), in the same transaction.
SELECT current_setting('handoff_top.partition_result')::jsonb AS result
