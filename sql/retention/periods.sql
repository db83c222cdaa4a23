-- The log retention periods, in the order the sweep applies them (raw rows
-- first, then the rollup tiers from the finest).
SELECT name, keep_for::text AS keep_for FROM log_retention
ORDER BY array_position(ARRAY['performance_logs', 'system_metrics', 'performance_rollup_1m', 'performance_rollup_10m',
                              'performance_rollup_1h', 'analytics_aggregations', 'session_purge_audit']::varchar[], name), name
