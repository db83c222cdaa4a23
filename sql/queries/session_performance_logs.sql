-- A session's most recent performance_logs, newest first ($1 session id, $2 limit).
SELECT p.id, p.operation, p.duration_ms, p.success, p.metadata, p.created_at
  FROM performance_logs p
 WHERE p.session_id = $1::uuid
 ORDER BY p.created_at DESC
 LIMIT $2
