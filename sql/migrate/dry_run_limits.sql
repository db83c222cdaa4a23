-- The dry run's lock_timeout ($1) and statement_timeout ($2), in ms, for its
-- transaction only (set_config(..., true) is SET LOCAL). A session that already
-- has a stricter value keeps it: the real run would meet that one too. `ours`
-- says which limit is the dry run's own, so that reaching it is reported as the
-- dry run stopping, not as the migration failing.
SELECT s.name,
       set_config(s.name, CASE WHEN ours THEN l.ms::text ELSE s.setting END, true) AS value,
       ours
FROM (VALUES ('lock_timeout', $1::bigint), ('statement_timeout', $2::bigint)) AS l(name, ms)
JOIN pg_settings s ON s.name = l.name
CROSS JOIN LATERAL (SELECT s.setting::bigint = 0 OR s.setting::bigint > l.ms AS ours) AS o
