-- One page of session_monitoring_view, most handoff requests first.
-- $1 status filter: NULL (all), 'dormant', 'archived', or a sessions.status
-- value; $2 page size; $3 offset. The view's per-row subqueries are scalar, so
-- ORDER BY ... LIMIT runs them for the rows on the page only.
SELECT v.id, v.session_key, v.agent_from, v.agent_to, v.status, v.created_at, v.updated_at, v.expires_at,
       v.last_activity_at, v.is_dormant, v.archived_at, v.retention_policy, v.hours_since_activity,
       v.context_count, v.handoff_count, v.last_lifecycle_event, v.last_lifecycle_event_at
  FROM session_monitoring_view v
 WHERE ($1::text IS NULL
        OR ($1::text = 'dormant' AND v.is_dormant AND v.archived_at IS NULL)
        OR ($1::text = 'archived' AND v.archived_at IS NOT NULL)
        OR v.status = $1::text)
 ORDER BY v.handoff_count DESC, v.last_activity_at DESC NULLS LAST
 LIMIT $2 OFFSET $3
