-- 014_storage_growth
-- The oldest and newest row of a table by one of its time columns, for the
-- Storage panel's growth per day (issue 14 point 3), readable by the
-- least-privilege monitor role: it says when the column cannot be read
-- (readable false) instead of failing, and reads the column only where a
-- B-tree index leads with it or the table is small (under 100,000 rows by the
-- planner's estimate, or the statistics' live rows before the first ANALYZE),
-- so it never scans a large table.

CREATE OR REPLACE FUNCTION storage_time_span(p_table text, p_column text)
RETURNS TABLE (oldest timestamptz, newest timestamptz, readable boolean, indexed boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rel regclass := to_regclass(p_table);
    estimate real;
BEGIN
    IF rel IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = p_column AND NOT a.attisdropped) THEN
        RETURN;
    END IF;
    readable := has_column_privilege(rel, p_column, 'SELECT');
    indexed := EXISTS (
        SELECT 1 FROM pg_index i
          JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] AND a.attname = p_column
         WHERE i.indrelid = rel AND i.indisvalid AND i.indpred IS NULL);
    SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE pg_stat_get_live_tuples(rel) END INTO estimate FROM pg_class c WHERE c.oid = rel;
    IF readable AND (indexed OR estimate BETWEEN 0 AND 100000) THEN
        EXECUTE format('SELECT min(%1$I), max(%1$I) FROM %2$s', p_column, rel) INTO oldest, newest;
    END IF;
    RETURN NEXT;
END;
$$;
