-- The session's settings, applied right after connecting instead of the
-- startup 'options' parameter (which PgBouncer rejects, or drops when told to
-- ignore it). $1 names, $2 values, in order.
SELECT set_config(setting.name, setting.value, false)
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS setting(name, value, position)
ORDER BY setting.position
