-- Where session $2 is in sessions_by_context.sql's order under status filter
-- $1 (as there): how many matching sessions come before it (more rows in
-- context_history, then newer, then a smaller id), or no row when it does not match.
-- Counts every matching session's rows: run only when the selected session
-- has left the page on screen, not at every refresh.
WITH matching AS (
    SELECT v.id, coalesce(v.created_at, '-infinity') AS created,
           (SELECT count(*) FROM context_history c WHERE c.session_id = v.id) AS n
      FROM sessions v
     WHERE ($1::text IS NULL
            OR ($1::text = 'dormant' AND v.is_dormant AND v.archived_at IS NULL)
            OR ($1::text = 'archived' AND v.archived_at IS NOT NULL)
            OR v.status = $1::text)
),
target AS (SELECT m.n, m.created, m.id FROM matching m WHERE m.id = $2::uuid)
SELECT (SELECT count(*)
          FROM matching m
         WHERE m.n > t.n
            OR (m.n = t.n AND m.created > t.created)
            OR (m.n = t.n AND m.created = t.created AND m.id < t.id)) AS position
  FROM target t
