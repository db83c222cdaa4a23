-- The conversion's parameters for the DO blocks that follow (session level):
-- the existing table's upper bound, how many daily partitions to create
-- ahead, the table and its time column.
SELECT set_config('handoff_top.partition_bound', $1::text, false), set_config('handoff_top.partition_ahead', $2::text, false),
       set_config('handoff_top.partition_table', $3::text, false), set_config('handoff_top.partition_column', $4::text, false)
