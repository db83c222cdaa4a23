-- Benchmark 6 (retention): {{expired}} performance_logs rows of one day 40 days ago (past the 30-day period:
-- what the sweep removes) and {{kept}} rows of today (which stay), as the handoff server writes them
-- (its columns and metadata; no session). Loaded in created_at order, as they were written.
INSERT INTO performance_logs (operation, duration_ms, success, session_id, metadata, created_at)
SELECT (ARRAY['register_session','update_context','get_context','request_handoff','list_sessions'])[1 + g % 5],
       (g * 37) % 900, g % 23 <> 0, NULL, jsonb_build_object('tool', 'op' || (g % 5), 'bytes', g % 4096),
       date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '40 days' + make_interval(secs => g * 86399.0 / {{expired}})
  FROM generate_series(1, {{expired}}) g;
INSERT INTO performance_logs (operation, duration_ms, success, session_id, metadata, created_at)
SELECT 'get_context', g % 900, true, NULL, jsonb_build_object('tool', 'get_context'), now() - make_interval(secs => g * 0.01)
  FROM generate_series(1, {{kept}}) g;
