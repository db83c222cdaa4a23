-- The Storage panel: every table of the handoff schema (partitions under
-- their parent) with its size, its indexes' size and the planner's row
-- estimate (the statistics' live row count for a table never analyzed; the
-- catalogs, statistics views and size functions need no privilege), and for the
-- tables with a time column the oldest and newest row by it
-- (storage_time_span, migration 014: NULL where it cannot be read cheaply).
-- The rollup histogram's rows are written with their rollup rows: its span is
-- read from performance_rollup.
WITH known (table_name, time_column, span_of) AS (
    VALUES ('sessions', 'created_at', NULL), ('context_history', 'created_at', NULL), ('handoff_requests', 'created_at', NULL),
           ('codebase_snapshots', 'created_at', NULL), ('session_lifecycle', 'created_at', NULL),
           ('performance_logs', 'created_at', NULL), ('system_metrics', 'recorded_at', NULL),
           ('analytics_aggregations', 'time_bucket', NULL), ('session_purge_audit', 'purged_at', NULL),
           ('performance_rollup', 'bucket_start', NULL), ('performance_rollup_histogram', 'bucket_start', 'performance_rollup')
), tables AS (
    SELECT c.oid, c.relname::text AS table_name, c.relkind,
           CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE st.n_live_tup END AS row_estimate
      FROM pg_class c
      LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
), sized AS (
    -- a partitioned table (handoff-top partition) has no storage of its own: the sums over its partitions
    SELECT t.table_name, z.table_bytes, z.index_bytes, z.total_bytes, coalesce(z.row_estimate, t.row_estimate) AS row_estimate
      FROM tables t
      CROSS JOIN LATERAL (
        SELECT pg_table_size(t.oid) AS table_bytes, pg_indexes_size(t.oid) AS index_bytes, pg_total_relation_size(t.oid) AS total_bytes,
               NULL::bigint AS row_estimate
         WHERE t.relkind = 'r'
        UNION ALL
        SELECT coalesce(sum(pg_table_size(p.relid)), 0)::bigint, coalesce(sum(pg_indexes_size(p.relid)), 0)::bigint,
               coalesce(sum(pg_total_relation_size(p.relid)), 0)::bigint,
               sum(CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE st.n_live_tup END)::bigint
          FROM pg_partition_tree(t.oid) p
          JOIN pg_class c ON c.oid = p.relid
          LEFT JOIN pg_stat_user_tables st ON st.relid = p.relid
         WHERE t.relkind = 'p' AND p.isleaf
        HAVING t.relkind = 'p'
      ) z
)
SELECT t.table_name,
       t.table_bytes,
       t.index_bytes,
       t.total_bytes,
       t.row_estimate,
       k.time_column,
       s.oldest, s.newest, s.readable, s.indexed
  FROM sized t
  LEFT JOIN known k ON k.table_name = t.table_name
  LEFT JOIN LATERAL storage_time_span(coalesce(k.span_of, k.table_name), k.time_column) s ON k.time_column IS NOT NULL
 ORDER BY t.total_bytes DESC, t.table_name
