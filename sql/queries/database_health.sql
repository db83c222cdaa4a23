-- The monitor's database health line (as pg_activity's header): the server's
-- client connections of max_connections; of this database the transaction
-- counter (the caller takes the rate between two reads), the oldest open
-- transaction of another backend and the backends waiting on a lock; and
-- replication: the replicas' replay lag on a primary, the replay delay on a
-- standby.
-- Without pg_read_all_stats (pg_monitor) pg_stat_activity hides other roles'
-- xact_start and pg_stat_replication their lag: reads_all_stats says whether
-- those can be trusted. Every role may read pg_locks and pg_stat_database.
SELECT (SELECT count(*)
          FROM pg_stat_activity a
         -- another role's row hides backend_type: a client backend is one with a database and a user
         WHERE a.backend_type = 'client backend'
            OR (a.backend_type IS NULL AND a.datname IS NOT NULL AND a.usesysid IS NOT NULL)) AS connections,
       current_setting('max_connections')::int AS max_connections,
       (SELECT sum(d.xact_commit + d.xact_rollback) FROM pg_stat_database d WHERE d.datname = current_database()) AS transactions,
       clock_timestamp() AS measured_at,
       oldest.age_ms AS oldest_xact_ms,
       oldest.pid AS oldest_xact_pid,
       (SELECT count(DISTINCT l.pid)
          FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE NOT l.granted AND a.datname = current_database()) AS waiting_locks,
       pg_is_in_recovery() AS standby,
       (SELECT count(*) FROM pg_stat_replication) AS replicas,
       (SELECT round(extract(epoch FROM max(r.replay_lag)) * 1000) FROM pg_stat_replication r) AS replica_lag_ms,
       CASE WHEN pg_is_in_recovery()
            THEN round(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000) END AS standby_lag_ms,
       pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS reads_all_stats
  FROM (SELECT NULL) one
  LEFT JOIN LATERAL (SELECT a.pid, round(extract(epoch FROM clock_timestamp() - a.xact_start) * 1000) AS age_ms
                       FROM pg_stat_activity a
                      WHERE a.xact_start IS NOT NULL AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
                        AND a.datname = current_database()
                      ORDER BY a.xact_start
                      LIMIT 1) oldest ON true
