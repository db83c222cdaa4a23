-- get_context: the latest $2 entries of session $1.
SELECT sequence_number, context_type, content_size_bytes, processing_time_ms, created_at
  FROM context_history
 WHERE session_id = $1
 ORDER BY sequence_number DESC
 LIMIT $2;
