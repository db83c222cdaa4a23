-- One session's fields and counts ($1 session id).
SELECT v.id, v.session_key, v.agent_from, v.agent_to, v.status, v.created_at, v.updated_at, v.expires_at,
       v.last_activity_at, v.is_dormant, v.archived_at, v.retention_policy, v.metadata, v.hours_since_activity,
       v.context_count, v.handoff_count, v.last_lifecycle_event, v.last_lifecycle_event_at,
       (SELECT count(*) FROM codebase_snapshots cs WHERE cs.session_id = v.id) AS snapshot_count,
       (SELECT count(*) FROM handoff_requests hr WHERE hr.session_id = v.id AND hr.status = 'pending') AS pending_handoffs,
       sc.expires_due_at, sc.dormant_due_at, sc.archive_due_at, sc.purge_due_at
  FROM handoff_top_session_view v
  LEFT JOIN session_lifecycle_schedule sc ON sc.id = v.id
 WHERE v.id = $1::uuid
