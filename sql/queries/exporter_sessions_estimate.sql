-- How many live rows sessions has, without reading it: the statistics'
-- running count (pg_stat_user_tables.n_live_tup, kept by every committed
-- insert and delete), or the planner's estimate (pg_class.reltuples, from the
-- last VACUUM or ANALYZE) where the statistics hold nothing for the table (it
-- was never written since the statistics were reset, after a crash say).
-- The exporter counts exactly below its bound and samples above it
-- (exporter_sessions_sample.sql). Catalogs and statistics views: no privilege.
SELECT CASE WHEN st.n_live_tup > 0 OR st.n_dead_tup > 0 OR c.reltuples < 0 THEN coalesce(st.n_live_tup, 0)
            ELSE c.reltuples::bigint END AS live_rows
  FROM pg_class c
  LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
 WHERE c.oid = 'sessions'::regclass
