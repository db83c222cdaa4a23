-- Where session $2 is in sessions_by_created.sql's order under status filter
-- $1 (as there): how many matching sessions come before it, or no row when it
-- does not match. NULL times sort last, as there (-infinity).
WITH target AS (
    SELECT coalesce(v.created_at, '-infinity') AS a, coalesce(v.updated_at, '-infinity') AS b
      FROM sessions v
     WHERE v.id = $2::uuid
       AND ($1::text IS NULL
            OR ($1::text = 'dormant' AND v.is_dormant AND v.archived_at IS NULL)
            OR ($1::text = 'archived' AND v.archived_at IS NOT NULL)
            OR v.status = $1::text)
)
SELECT (SELECT count(*)
          FROM sessions v
         WHERE ($1::text IS NULL
                OR ($1::text = 'dormant' AND v.is_dormant AND v.archived_at IS NULL)
                OR ($1::text = 'archived' AND v.archived_at IS NOT NULL)
                OR v.status = $1::text)
           AND (coalesce(v.created_at, '-infinity'), coalesce(v.updated_at, '-infinity')) > (t.a, t.b)) AS position
  FROM target t
