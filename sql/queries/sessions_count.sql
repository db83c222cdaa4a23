-- How many sessions match the sessions screen's status filter ($1, as in
-- sessions_by_*.sql), counting at most $2: an exact count of millions of rows
-- costs more than a monitor refresh may; the screen shows 'N+' instead.
SELECT count(*) AS total
  FROM (SELECT 1
          FROM sessions s
         WHERE ($1::text IS NULL
                OR ($1::text = 'dormant' AND s.is_dormant AND s.archived_at IS NULL)
                OR ($1::text = 'archived' AND s.archived_at IS NOT NULL)
                OR s.status = $1::text)
         LIMIT $2) counted
