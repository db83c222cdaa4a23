-- Is there a handoff schema at all, before reading its migration history?
SELECT to_regclass('sessions') IS NOT NULL AS sessions,
       to_regprocedure('lifecycle_sweep(boolean, timestamp with time zone, integer)') IS NOT NULL AS sweep
