-- Where a feed starts. 'now': the cursor sits just below the oldest running
-- transaction and the current snapshot names the rows already committed, which
-- the feed skips. A start time ($1): the first event created at or after it,
-- or the oldest running transaction if that is earlier.
WITH snap AS (SELECT pg_current_snapshot() AS snapshot)
SELECT pg_snapshot_xmin(snap.snapshot)::text AS xmin,
       snap.snapshot::text AS snapshot,
       CASE WHEN $1::timestamptz IS NULL THEN NULL
            ELSE least((SELECT min(l.xid) FROM session_lifecycle l WHERE l.created_at >= $1::timestamptz),
                       pg_snapshot_xmin(snap.snapshot))::text END AS since_xid
  FROM snap
