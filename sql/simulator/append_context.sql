-- update_context: $1 session, $2 sequence number, $3 type, $4 content,
-- $5 metadata, $6 processing time. Selecting the session skips one that is
-- archived (read-only) instead of raising.
INSERT INTO context_history (session_id, sequence_number, context_type, content, metadata, processing_time_ms)
SELECT s.id, $2, $3, $4, $5::jsonb, $6
  FROM sessions s
 WHERE s.id = $1 AND s.archived_at IS NULL
RETURNING id;
