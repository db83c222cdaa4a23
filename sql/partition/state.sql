-- handoff-top partition: the state of a table before converting it (template:
-- {{table}}, {{column}} its time column, quoted identifiers; $1 the table's
-- name, $2 its bound constraint's). kind 'p': already partitioned. bound: the
-- upper bound the existing table takes as its one partition (FROM MINVALUE):
-- midnight UTC two days ahead (so rows written between the preparation and
-- the swap, even across a midnight, still fit), or past the newest row if one
-- is dated later.
SELECT c.relkind::text AS kind,
       (SELECT count(*) FROM {{table}}) AS row_count,
       greatest(date_trunc('day', now() AT TIME ZONE 'UTC') + interval '2 days',
                (SELECT date_trunc('day', max({{column}}) AT TIME ZONE 'UTC') + interval '1 day' FROM {{table}})
       ) AT TIME ZONE 'UTC' AS bound,
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = c.oid AND conname = $2) AS bound_added
FROM pg_catalog.pg_class c
WHERE c.oid = $1::regclass
