-- One pass of the lifecycle engine, as a scheduler would run it.
SELECT action, session_id, session_key, retention_policy
  FROM lifecycle_sweep(false, now(), $1);
