-- Brings the latency rollups up to date (sql/migrations/005_latency_rollups.sql);
-- run with every sweep so the performance screen reads rollups, not raw rows.
SELECT rolled_from, rolled_to, minute_rows, ten_minute_rows, hour_rows, deleted_rows
  FROM refresh_performance_rollups()
