-- User triggers (not the internal ones behind foreign keys): table, timing,
-- events and function as pg_get_triggerdef prints them, and whether enabled.
SELECT tg.tgname AS name,
       t.relname AS relation,
       pg_catalog.pg_get_triggerdef(tg.oid) AS definition,
       tg.tgenabled::text AS enabled
FROM pg_catalog.pg_trigger tg
JOIN pg_catalog.pg_class t ON t.oid = tg.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema()
  AND NOT tg.tgisinternal
ORDER BY t.relname, tg.tgname
