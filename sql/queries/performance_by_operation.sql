-- Per-operation statistics over the last 24 hours: calls, success rate,
-- avg / p95 / max. Exact (handoff_top_performance_view); a rollup will replace
-- this file behind the same function (issue 6).
SELECT v.operation, v.total_calls, v.successful_calls, v.failed_calls, v.success_rate_percent,
       v.avg_duration_ms, v.min_duration_ms, v.max_duration_ms, v.p95_duration_ms, v.last_call_at
  FROM handoff_top_performance_view v
 ORDER BY v.operation
