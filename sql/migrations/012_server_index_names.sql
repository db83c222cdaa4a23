-- 012_server_index_names
-- The handoff server runs CREATE INDEX IF NOT EXISTS for its indexes at every
-- start, by name. 009 dropped four of them because another index of their
-- table answers every look-up they answer; the server's next start created
-- them again, and every write paid for them again (bench/ §1, 'handoff-top+
-- server'). Its start also adds two indexes on session_lifecycle that
-- handoff-top's do not need, and two on system_metrics and
-- analytics_aggregations that repeat another index of their table. A status
-- change is not a HOT update, so each of these is one more index entry per
-- change (and a context row one per row). The server's other indexes (on
-- columns no other index leads with) are its own and stay, and so does
-- idx_performance_logs_operation, which repeats the leading column of
-- idx_performance_logs_operation_created_at but which the spec names.
--
-- Each of those names now belongs to an index the server's statement finds and
-- leaves alone:
--
-- * idx_session_lifecycle_session_id is handoff-top's (session_id,
--   created_at) index, renamed from idx_session_lifecycle_session_created_at:
--   it answers the server's look-ups by session_id too, so the server's
--   (session_id) index is dropped where its start created it.
-- * idx_sessions_session_key, idx_sessions_status,
--   idx_context_history_session_id, idx_context_history_sequence,
--   idx_session_lifecycle_event_type, idx_system_metrics_name and
--   idx_analytics_aggregations_type are name holders: partial indexes WHERE
--   false, which hold no entry and cost a write nothing. The look-ups the
--   server's indexes of those names served go through the index that repeats
--   them (the UNIQUE index on session_key; idx_sessions_status_last_activity,
--   which leads with status; the UNIQUE index on (session_id,
--   sequence_number); idx_system_metrics_name_recorded_at;
--   idx_analytics_aggregations_type_time_bucket); the server never reads
--   session_lifecycle by event_type. A holder replaces the server's index
--   only where that other index is there (valid, B-tree, not partial, the
--   same leading columns, operator classes and collations, as 009 checks),
--   and idx_session_lifecycle_event_type, which nothing repeats, always.
--
-- Dropping a name holder gives the name back: the server's next start creates
-- its index again.

DO $$
DECLARE
    holder record;
BEGIN
    -- the server's (session_id) index, where its start created it, gives way to handoff-top's (session_id, created_at)
    IF to_regclass('public.idx_session_lifecycle_session_created_at') IS NOT NULL THEN
        DROP INDEX IF EXISTS public.idx_session_lifecycle_session_id;
        ALTER INDEX public.idx_session_lifecycle_session_created_at RENAME TO idx_session_lifecycle_session_id;
    END IF;

    FOR holder IN
        SELECT * FROM (VALUES
            ('idx_sessions_session_key', 'sessions', 'session_key', true),
            ('idx_sessions_status', 'sessions', 'status', true),
            ('idx_context_history_session_id', 'context_history', 'session_id', true),
            ('idx_context_history_sequence', 'context_history', 'session_id, sequence_number', true),
            ('idx_session_lifecycle_event_type', 'session_lifecycle', 'event_type', false),
            ('idx_system_metrics_name', 'system_metrics', 'metric_name', true),
            ('idx_analytics_aggregations_type', 'analytics_aggregations', 'aggregation_type', true)
        ) AS h (name, tab, cols, needs_cover)
    LOOP
        -- already a holder: nothing to do
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_indexes
                               WHERE schemaname = 'public' AND indexname = holder.name
                                 AND indexdef LIKE '% WHERE false');
        IF to_regclass(format('public.%I', holder.name)) IS NOT NULL THEN
            -- the server's index of this name: replaced only where another index repeats it
            CONTINUE WHEN holder.needs_cover AND NOT EXISTS (
                SELECT 1
                  FROM pg_index r
                  JOIN pg_class ri ON ri.oid = r.indexrelid
                  JOIN pg_index c ON c.indrelid = r.indrelid AND c.indexrelid <> r.indexrelid
                  JOIN pg_class ci ON ci.oid = c.indexrelid
                 WHERE r.indexrelid = to_regclass(format('public.%I', holder.name))
                   AND ri.relam = ci.relam AND ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
                   AND r.indpred IS NULL AND r.indexprs IS NULL AND NOT r.indisunique
                   AND c.indisvalid AND c.indpred IS NULL AND c.indexprs IS NULL
                   AND c.indnkeyatts >= r.indnkeyatts
                   AND (SELECT bool_and(c.indkey[i] = r.indkey[i] AND c.indclass[i] = r.indclass[i]
                                        AND c.indcollation[i] = r.indcollation[i]
                                        AND c.indoption[i] = r.indoption[i])
                          FROM generate_series(0, r.indnkeyatts - 1) i));
            EXECUTE format('DROP INDEX public.%I', holder.name);
        ELSIF holder.needs_cover AND NOT EXISTS (
                SELECT 1
                  FROM pg_index c
                  JOIN pg_attribute a ON a.attrelid = c.indrelid AND a.attnum = c.indkey[0]
                 WHERE c.indrelid = to_regclass(format('public.%I', holder.tab))
                   AND c.indisvalid AND c.indpred IS NULL AND c.indexprs IS NULL
                   AND a.attname = split_part(holder.cols, ',', 1)) THEN
            -- nothing else leads with these columns: leave the name to the server
            CONTINUE;
        END IF;
        EXECUTE format('CREATE INDEX %I ON public.%I (%s) WHERE false', holder.name, holder.tab, holder.cols);
    END LOOP;
END;
$$;
