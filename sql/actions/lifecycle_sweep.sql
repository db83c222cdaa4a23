-- One pass of every retention policy (expire, dormant, archive, purge), as the
-- scheduled sweep runs it; one row per session and action.
SELECT * FROM lifecycle_sweep(false, now(), 10000);
