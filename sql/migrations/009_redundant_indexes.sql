-- 009_redundant_indexes
-- Fewer index entries per write of the handoff server (bench/ §1 and
-- BENCHMARKS.md): a status change is not a HOT update (status and
-- last_activity_at are indexed), so it adds an entry to every index of
-- sessions whose predicate the row meets, and each new context row one to
-- every index of context_history.
--
-- * Four indexes of the pre-enhancement schema repeat another index of their
--   table: idx_sessions_session_key is the index of the UNIQUE constraint on
--   session_key over again, idx_context_history_session_sequence that of
--   UNIQUE (session_id, sequence_number); idx_sessions_status and
--   idx_context_history_session_id are the leading column of
--   idx_sessions_status_last_activity and of that UNIQUE index, which answer
--   every look-up they answer. Each is dropped only when such an index
--   (valid, B-tree, not partial, same leading columns, operator classes and
--   collations) is there; nothing else is touched.
-- * idx_sessions_dormant_last_activity, the spec's "composite index for dormant
--   sessions", holds the dormant sessions only (WHERE is_dormant), like
--   idx_sessions_is_dormant: the dormant list reads it that way, and live
--   sessions - nearly all of them, nearly all the writes - no longer pay for an
--   entry. Live sessions by activity are read through idx_sessions_lifecycle_due
--   and idx_sessions_status_last_activity.

DO $$
DECLARE
    redundant text;
BEGIN
    FOREACH redundant IN ARRAY ARRAY['idx_sessions_session_key', 'idx_sessions_status',
                                     'idx_context_history_session_id', 'idx_context_history_session_sequence'] LOOP
        IF EXISTS (
            SELECT 1
              FROM pg_index r
              JOIN pg_class ri ON ri.oid = r.indexrelid
              JOIN pg_index c ON c.indrelid = r.indrelid AND c.indexrelid <> r.indexrelid
              JOIN pg_class ci ON ci.oid = c.indexrelid
             WHERE r.indexrelid = to_regclass(format('public.%I', redundant))
               AND ri.relam = ci.relam AND ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
               AND r.indpred IS NULL AND r.indexprs IS NULL AND NOT r.indisunique
               AND c.indisvalid AND c.indpred IS NULL AND c.indexprs IS NULL
               AND c.indnkeyatts >= r.indnkeyatts
               AND (SELECT bool_and(c.indkey[i] = r.indkey[i] AND c.indclass[i] = r.indclass[i]
                                    AND c.indcollation[i] = r.indcollation[i]
                                    AND c.indoption[i] = r.indoption[i])
                      FROM generate_series(0, r.indnkeyatts - 1) i)
        ) THEN
            EXECUTE format('DROP INDEX public.%I', redundant);
        END IF;
    END LOOP;
END;
$$;

DROP INDEX IF EXISTS idx_sessions_dormant_last_activity;
CREATE INDEX idx_sessions_dormant_last_activity ON sessions (is_dormant, last_activity_at) WHERE is_dormant;
