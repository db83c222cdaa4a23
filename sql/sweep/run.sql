-- One lifecycle sweep ($1 dry run, $2 the most sessions per action).
SELECT action, session_id, session_key, retention_policy, detail
FROM lifecycle_sweep($1, now(), $2)
