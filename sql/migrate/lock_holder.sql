-- Who holds migrate's advisory lock (for the 'waiting for ...' message).
SELECT a.pid, a.application_name, a.client_addr::text AS client_addr,
       round(extract(epoch FROM clock_timestamp() - a.backend_start))::int AS connected_seconds
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND l.objid = (hashtext('handoff-top:migrate')::bigint & 4294967295)::oid
  AND l.pid <> pg_backend_pid()
LIMIT 1
