-- A status change by the application: $1 session, $2 expected status, $3 new status.
UPDATE sessions
   SET status = $3::varchar
 WHERE id = $1 AND status = $2::varchar AND archived_at IS NULL
RETURNING id;
