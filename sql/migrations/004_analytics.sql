-- 004_analytics
-- Fills analytics_aggregations with 'session_stats', 'handoff_stats' and
-- 'performance_trends' for one time bucket. Re-running a bucket replaces it.
--
-- Revised: no unique index on (aggregation_type, time_bucket). Databases the
-- handoff server wrote hold several rows for one bucket of its own types (two
-- of its processes aggregate the same hour), which such an index cannot be
-- built over; the index is the server's own, by its name, and re-running a
-- bucket deletes its rows first. A database that applied the first revision
-- has this migration applied (010 drops its unique index):
-- supersedes: 49477751225b7aca351181eb0910e8be88f2ee754242a46e63bfc676fd025a8f

CREATE INDEX IF NOT EXISTS idx_analytics_aggregations_type_time_bucket
    ON analytics_aggregations (aggregation_type, time_bucket);

CREATE OR REPLACE FUNCTION refresh_analytics_aggregations(
    p_bucket_start timestamptz,
    p_bucket_width interval DEFAULT interval '1 hour'
) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    bucket_end timestamptz := p_bucket_start + p_bucket_width;
    written integer;
BEGIN
    IF p_bucket_width <= interval '0' THEN
        RAISE EXCEPTION 'bucket width must be positive, got %', p_bucket_width;
    END IF;

    -- A re-run replaces the bucket's rows.
    DELETE FROM analytics_aggregations a
     WHERE a.time_bucket = p_bucket_start
       AND a.aggregation_type IN ('session_stats', 'handoff_stats', 'performance_trends');

    WITH stats (aggregation_type, aggregation_data) AS (
        SELECT 'session_stats', jsonb_build_object(
            'bucket_width', p_bucket_width::text,
            'sessions_created', (SELECT count(*) FROM sessions s
                                  WHERE s.created_at >= p_bucket_start AND s.created_at < bucket_end),
            'events', coalesce((SELECT jsonb_object_agg(e.event_type, e.n) FROM (
                            SELECT l.event_type, count(*) AS n FROM session_lifecycle l
                             WHERE l.created_at >= p_bucket_start AND l.created_at < bucket_end
                             GROUP BY l.event_type) e), '{}'::jsonb),
            'active_at_end', (SELECT count(*) FROM sessions s
                               WHERE s.created_at < bucket_end AND s.archived_at IS NULL
                                 AND s.status = 'active' AND NOT s.is_dormant),
            'dormant_at_end', (SELECT count(*) FROM sessions s
                                WHERE s.created_at < bucket_end AND s.archived_at IS NULL AND s.is_dormant),
            'context_entries', (SELECT count(*) FROM context_history c
                                 WHERE c.created_at >= p_bucket_start AND c.created_at < bucket_end),
            'context_bytes', (SELECT coalesce(sum(c.content_size_bytes), 0) FROM context_history c
                               WHERE c.created_at >= p_bucket_start AND c.created_at < bucket_end))
        UNION ALL
        SELECT 'handoff_stats', jsonb_build_object(
            'bucket_width', p_bucket_width::text,
            'requests', count(*),
            'by_status', coalesce((SELECT jsonb_object_agg(x.status, x.n) FROM (
                            SELECT h.status, count(*) AS n FROM handoff_requests h
                             WHERE h.created_at >= p_bucket_start AND h.created_at < bucket_end
                             GROUP BY h.status) x), '{}'::jsonb),
            'by_type', coalesce((SELECT jsonb_object_agg(x.request_type, x.n) FROM (
                            SELECT h.request_type, count(*) AS n FROM handoff_requests h
                             WHERE h.created_at >= p_bucket_start AND h.created_at < bucket_end
                             GROUP BY h.request_type) x), '{}'::jsonb),
            'avg_completion_seconds', round(avg(extract(epoch FROM h.completed_at - h.created_at))::numeric, 2))
          FROM handoff_requests h
         WHERE h.created_at >= p_bucket_start AND h.created_at < bucket_end
        UNION ALL
        SELECT 'performance_trends', jsonb_build_object(
            'bucket_width', p_bucket_width::text,
            'operations', coalesce(jsonb_object_agg(o.operation, jsonb_build_object(
                'calls', o.calls, 'failures', o.failures, 'avg_ms', o.avg_ms,
                'p95_ms', o.p95_ms, 'max_ms', o.max_ms)), '{}'::jsonb))
          FROM (SELECT pl.operation, count(*) AS calls, count(*) FILTER (WHERE NOT pl.success) AS failures,
                       round(avg(pl.duration_ms), 2) AS avg_ms,
                       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY pl.duration_ms)::numeric, 2) AS p95_ms,
                       max(pl.duration_ms) AS max_ms
                  FROM performance_logs pl
                 WHERE pl.created_at >= p_bucket_start AND pl.created_at < bucket_end
                 GROUP BY pl.operation) o
    )
    INSERT INTO analytics_aggregations (aggregation_type, time_bucket, aggregation_data)
    SELECT stats.aggregation_type, p_bucket_start, stats.aggregation_data FROM stats;

    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END;
$$;
