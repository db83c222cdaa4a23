-- Brings the latency rollups (sql/migrations/005_latency_rollups.sql) and the
-- per-session activity counts (007_dashboard_at_scale.sql) up to date; run
-- with every sweep so the performance screen and the sessions screen's count
-- sorts read rollups, not raw rows.
SELECT r.rolled_from, r.rolled_to, r.minute_rows, r.ten_minute_rows, r.hour_rows, r.deleted_rows,
       c.sessions_counted
  FROM refresh_performance_rollups() r, refresh_session_activity_counts() c
