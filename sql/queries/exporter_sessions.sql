-- The exporter's session gauges (source/exporter): sessions per status, and
-- of those how many are archived and how many dormant (not archived), as the
-- Sessions screen's filters count them (sessions_count.sql). One pass over
-- sessions (the status index or the table); exact, never capped: the exporter
-- runs it while sessions holds up to 10,000 live rows (source/queries/
-- exporter.ts, sessionCounting), above that exporter_sessions_sample.sql.
SELECT s.status,
       count(*) AS sessions,
       count(*) FILTER (WHERE s.archived_at IS NOT NULL) AS archived,
       count(*) FILTER (WHERE s.is_dormant AND s.archived_at IS NULL) AS dormant
  FROM sessions s
 GROUP BY s.status
 ORDER BY count(*) DESC, s.status
