-- handoff-top partition: the state of performance_logs before converting it.
-- kind 'p': already partitioned. bound: the upper bound the existing table
-- takes as its one partition (FROM MINVALUE): midnight UTC two days ahead (so
-- rows written between the preparation and the swap, even across a midnight,
-- still fit), or past the newest row if one is dated later.
SELECT c.relkind::text AS kind,
       (SELECT count(*) FROM performance_logs) AS row_count,
       greatest(date_trunc('day', now() AT TIME ZONE 'UTC') + interval '2 days',
                (SELECT date_trunc('day', max(created_at) AT TIME ZONE 'UTC') + interval '1 day' FROM performance_logs)
       ) AT TIME ZONE 'UTC' AS bound,
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = c.oid AND conname = 'performance_logs_legacy_bound') AS bound_added
FROM pg_catalog.pg_class c
WHERE c.oid = 'performance_logs'::regclass
