-- Template ({{role}}, {{database}}, {{schema}} quoted identifiers): SELECT on
-- what the monitor and validate read, and nothing more. Bulk content stays
-- out of reach: context_history only its ids and times (the views count it with
-- their owner's rights), handoff_requests without request_data, codebase_snapshots
-- without content. No write privilege of any kind.
GRANT CONNECT ON DATABASE {{database}} TO {{role}};
GRANT USAGE ON SCHEMA {{schema}} TO {{role}};
GRANT SELECT ON sessions, session_lifecycle, session_monitoring_view, performance_monitoring_view,
    handoff_top_session_view, handoff_top_performance_view,
    session_lifecycle_schedule, performance_logs, system_metrics, analytics_aggregations,
    retention_policies, log_retention, lifecycle_notify_gate, handoff_top_migrations,
    performance_rollup, performance_rollup_histogram, performance_rollup_state,
    session_activity_counts, session_activity_counts_state TO {{role}};
-- which sessions have new context and when (the count sorts), not what it says
GRANT SELECT (id, session_id, created_at) ON context_history TO {{role}};
GRANT SELECT (id, session_id, requesting_agent, target_agent, request_type, status, created_at, completed_at)
    ON handoff_requests TO {{role}};
GRANT SELECT (id, session_id, file_path, content_hash, created_at) ON codebase_snapshots TO {{role}};
