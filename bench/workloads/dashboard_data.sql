-- Dashboard-scale data for benchmark 2, loaded with triggers off (session_replication_role = replica):
-- {{sessions}} sessions over 30 days, {{context}} context_history rows, {{handoffs}} handoff requests,
-- lifecycle events (created + later changes), {{perf}} performance_logs of which {{perf24}} in the last
-- 24 hours, {{metrics}} system_metrics rows over 7 days. Session ids are md5-derived so child rows can
-- reference session g without a lookup.
SET session_replication_role = replica;

INSERT INTO sessions (id, session_key, agent_from, agent_to, status, created_at, updated_at, expires_at, metadata,
                      last_activity_at, is_dormant, archived_at, retention_policy)
SELECT md5('s' || g)::uuid,
       'dash-' || g,
       (ARRAY['claude-code','cursor-agent','devin','copilot-workspace','aider','codex-cli','gemini-cli','review-bot'])[1 + g % 8],
       CASE WHEN g % 3 = 0 THEN NULL ELSE (ARRAY['claude-code','cursor-agent','devin','aider'])[1 + g % 4] END,
       st.status,
       c.created_at,
       c.created_at + (now() - c.created_at) * a.f,
       c.created_at + interval '24 hours',
       jsonb_build_object('project', 'p' || (g % 500)),
       c.created_at + (now() - c.created_at) * a.f,
       st.status = 'active' AND a.f < 0.3,
       CASE WHEN st.status IN ('completed', 'expired') AND c.created_at < now() - interval '2 days' THEN c.created_at + interval '26 hours' END,
       CASE WHEN g % 20 = 0 THEN 'extended' ELSE 'standard' END
  -- random() in a select list runs once per row (an uncorrelated LATERAL subquery would run once for all)
  FROM (SELECT g, random() AS r, random() AS f, random() AS u FROM generate_series(1, {{sessions}}) g) a
  CROSS JOIN LATERAL (SELECT now() - interval '30 days' * power(a.r, 2) AS created_at) c
  CROSS JOIN LATERAL (SELECT CASE WHEN a.u < 0.40 THEN 'active' WHEN a.u < 0.50 THEN 'paused'
                                  WHEN a.u < 0.75 THEN 'completed' WHEN a.u < 0.90 THEN 'expired' ELSE 'cancelled' END AS status) st;

INSERT INTO context_history (session_id, sequence_number, context_type, content, created_at, processing_time_ms, content_size_bytes)
SELECT md5('s' || (1 + (hashint4(g) & 2147483647) % {{sessions}}))::uuid,
       g,
       (ARRAY['message','message','message','tool_call','file','system'])[1 + g % 6],
       'context entry ' || g,
       now() - interval '30 days' * random(),
       1 + g % 40,
       20
  FROM generate_series(1, {{context}}) g;

INSERT INTO handoff_requests (session_id, requesting_agent, target_agent, request_type, status, created_at, completed_at)
SELECT md5('s' || (1 + (hashint4(g + 7) & 2147483647) % {{sessions}}))::uuid,
       'claude-code', 'devin', 'context_transfer',
       (ARRAY['pending','accepted','rejected','completed'])[1 + g % 4],
       t, CASE WHEN g % 4 = 3 THEN t + interval '3 minutes' END
  FROM (SELECT g, now() - interval '30 days' * random() AS t FROM generate_series(1, {{handoffs}}) g) x;

-- in time order, as the triggers append them (the BRIN on created_at relies on that)
INSERT INTO session_lifecycle (session_id, event_type, event_data, created_at)
SELECT e.session_id, e.event_type, e.event_data, e.created_at
  FROM (SELECT s.id AS session_id, 'created' AS event_type, jsonb_build_object('status', 'active', 'agent_from', s.agent_from) AS event_data,
               s.created_at
          FROM sessions s
        UNION ALL
        SELECT s.id, 'status_changed', jsonb_build_object('old_status', 'active', 'new_status', s.status, 'reason', 'application'), s.updated_at
          FROM sessions s WHERE s.status <> 'active'
        UNION ALL
        SELECT s.id, 'dormant', jsonb_build_object('previous_state', 'active', 'reason', 'sweep'), s.last_activity_at + interval '2 hours'
          FROM sessions s WHERE s.is_dormant
        UNION ALL
        SELECT s.id, 'archived', jsonb_build_object('status', s.status, 'reason', 'sweep'), s.archived_at
          FROM sessions s WHERE s.archived_at IS NOT NULL) e
 ORDER BY e.created_at;

-- performance_logs: log-normal durations per operation (medians as the simulator's), 1 % failures
INSERT INTO performance_logs (operation, duration_ms, success, session_id, created_at)
SELECT o.op,
       greatest(0, round(o.median * exp(o.sigma * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::integer,
       random() >= 0.01,
       CASE WHEN g % 4 = 0 THEN NULL ELSE md5('s' || (1 + (hashint4(g + 13) & 2147483647) % {{sessions}}))::uuid END,
       CASE WHEN g <= {{perf24}} THEN now() - interval '24 hours' * random()
            ELSE now() - interval '24 hours' - interval '29 days' * random() END
  FROM generate_series(1, {{perf}}) g
  CROSS JOIN LATERAL (SELECT (ARRAY['register_session','update_context','get_context','request_handoff','accept_handoff',
                                    'complete_handoff','reject_handoff','update_session_status','end_session'])[1 + g % 9] AS op,
                             (ARRAY[12, 24, 7, 38, 15, 70, 9, 6, 11])[1 + g % 9] AS median,
                             (ARRAY[0.5, 0.75, 0.6, 0.6, 0.5, 0.85, 0.5, 0.4, 0.5])[1 + g % 9] AS sigma) o;

INSERT INTO system_metrics (metric_name, metric_value, metric_type, labels, recorded_at)
SELECT (ARRAY['active_sessions','handoffs_pending','db_connections','context_bytes_total','requests_per_second'])[1 + g % 5],
       round((random() * 100)::numeric, 2),
       (ARRAY['gauge','gauge','gauge','counter','gauge'])[1 + g % 5],
       jsonb_build_object('instance', 'node-' || (g / 5) % 4),
       now() - interval '7 days' * random()
  FROM generate_series(1, {{metrics}}) g;

RESET session_replication_role;
