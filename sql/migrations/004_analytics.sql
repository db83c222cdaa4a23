-- 004_analytics
-- The index analytics_aggregations' readers and refresh_analytics_aggregations()
-- use.
--
-- Revised: no unique index on (aggregation_type, time_bucket). Databases the
-- handoff server wrote hold several rows for one bucket of its own types (two
-- of its processes aggregate the same hour), which such an index cannot be
-- built over; the index is the server's own, by its name. The function, which
-- the first revision defined with ON CONFLICT over the unique index, is
-- defined once, without it, in 010. A database that applied the first
-- revision has this migration applied (010 drops its unique index):
-- supersedes: 49477751225b7aca351181eb0910e8be88f2ee754242a46e63bfc676fd025a8f

CREATE INDEX IF NOT EXISTS idx_analytics_aggregations_type_time_bucket
    ON analytics_aggregations (aggregation_type, time_bucket);
