-- Where session $2 is in sessions_by_last_activity.sql's order under status
-- filter $1 (as there): how many matching sessions come before it, or no row
-- when it does not match. Lets the Sessions screen follow a selected session
-- to the page it moved to. NULL times sort last, as there (-infinity).
WITH target AS (
    SELECT coalesce(v.last_activity_at, '-infinity') AS a, coalesce(v.updated_at, '-infinity') AS b,
           coalesce(v.created_at, '-infinity') AS c
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
           AND (coalesce(v.last_activity_at, '-infinity'), coalesce(v.updated_at, '-infinity'), coalesce(v.created_at, '-infinity'))
               > (t.a, t.b, t.c)) AS position
  FROM target t
