-- What the log retention part of a sweep removes now, per period and table,
-- counted up to $2 rows. $1 true: as after the sweep's rollup refresh (the
-- watermark at the start of this minute, or the current one when ahead);
-- false: by the current watermark. Readable by the monitor role: a table it
-- may not read comes back with readable false.
SELECT p.name, p.table_name, p.keep_for::text AS keep_for,
       CASE WHEN isfinite(p.cutoff) THEN p.cutoff END AS cutoff, -- -infinity: nothing rolled up yet (held_by_rollups)
       p.held_by_rollups, p.readable, p.rows_due, p.capped
FROM log_retention_plan(
    now(),
    CASE WHEN $1::boolean
         THEN greatest(date_trunc('minute', now()), (SELECT max(s.rolled_up_to) FROM performance_rollup_state s)) END,
    $2::bigint) p
ORDER BY array_position(ARRAY['performance_logs', 'system_metrics', 'performance_rollup_1m', 'performance_rollup_10m',
                              'performance_rollup_1h', 'analytics_aggregations', 'session_purge_audit']::varchar[], p.name),
         p.table_name
