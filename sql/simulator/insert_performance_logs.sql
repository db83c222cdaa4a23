-- A batch of performance_logs from a JSON array. A session purged since the
-- call was made is logged without its session (the column's ON DELETE SET NULL).
INSERT INTO performance_logs (operation, duration_ms, success, session_id, metadata, created_at)
SELECT r.operation, r.duration_ms, r.success, s.id, coalesce(r.metadata, '{}'), coalesce(r.created_at, now())
  FROM jsonb_to_recordset($1::jsonb)
       AS r(operation text, duration_ms integer, success boolean, session_id uuid, metadata jsonb, created_at timestamptz)
  LEFT JOIN sessions s ON s.id = r.session_id;
