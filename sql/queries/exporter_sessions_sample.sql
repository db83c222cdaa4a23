-- The exporter's session gauges at scale (source/exporter): the rows of a
-- block sample of sessions per status, with how many of them are archived and
-- how many dormant (not archived), as exporter_sessions.sql counts every row.
-- TABLESAMPLE SYSTEM reads $1 percent of the table's blocks; REPEATABLE with
-- the seed $2 takes a block or not by its number, so every scrape reads the
-- same blocks, and new blocks at the same share. The exporter scales the
-- counts to the table's live rows (exporter_sessions_estimate.sql).
SELECT s.status,
       count(*) AS sessions,
       count(*) FILTER (WHERE s.archived_at IS NOT NULL) AS archived,
       count(*) FILTER (WHERE s.is_dormant AND s.archived_at IS NULL) AS dormant
  FROM sessions s TABLESAMPLE SYSTEM ($1::float4) REPEATABLE ($2::float8)
 GROUP BY s.status
 ORDER BY count(*) DESC, s.status
