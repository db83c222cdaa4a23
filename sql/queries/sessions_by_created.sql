-- One page of handoff_top_session_view, newest first (rows without
-- created_at last). $1 status filter: NULL (all), 'dormant', 'archived', or a
-- sessions.status value; $2 page size; $3 offset. Each branch walks
-- idx_sessions_created_at and stops after $2 + $3 rows; the view's per-row
-- subqueries run for those rows only.
SELECT page.*
  FROM ((SELECT v.id, v.session_key, v.agent_from, v.agent_to, v.status, v.created_at, v.updated_at, v.expires_at,
                v.last_activity_at, v.is_dormant, v.archived_at, v.retention_policy, v.hours_since_activity,
                v.context_count, v.handoff_count, v.last_lifecycle_event, v.last_lifecycle_event_at
           FROM handoff_top_session_view v
          WHERE v.created_at IS NOT NULL
            AND ($1::text IS NULL
                 OR ($1::text = 'dormant' AND v.is_dormant AND v.archived_at IS NULL)
                 OR ($1::text = 'archived' AND v.archived_at IS NOT NULL)
                 OR v.status = $1::text)
          ORDER BY v.created_at DESC
          LIMIT $2::bigint + $3::bigint)
        UNION ALL
        (SELECT v.id, v.session_key, v.agent_from, v.agent_to, v.status, v.created_at, v.updated_at, v.expires_at,
                v.last_activity_at, v.is_dormant, v.archived_at, v.retention_policy, v.hours_since_activity,
                v.context_count, v.handoff_count, v.last_lifecycle_event, v.last_lifecycle_event_at
           FROM handoff_top_session_view v
          WHERE v.created_at IS NULL
            AND ($1::text IS NULL
                 OR ($1::text = 'dormant' AND v.is_dormant AND v.archived_at IS NULL)
                 OR ($1::text = 'archived' AND v.archived_at IS NOT NULL)
                 OR v.status = $1::text)
          ORDER BY v.updated_at DESC NULLS LAST
          LIMIT $2::bigint + $3::bigint)) page
 ORDER BY page.created_at DESC NULLS LAST, page.updated_at DESC NULLS LAST
 LIMIT $2 OFFSET $3
