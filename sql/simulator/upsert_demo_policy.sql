-- The simulator's short-lived retention policy (minutes, not days), so its
-- sessions become dormant, expire, are archived and purged while you watch.
-- $1 name, $2..$5 session_ttl, dormant_after, archive_after, purge_after in ms.
-- Activity is recorded to a twentieth of dormant_after (the default minute
-- would be longer than the whole dormancy window).
INSERT INTO retention_policies (name, description, session_ttl, dormant_after, archive_after, purge_after, activity_resolution)
VALUES ($1, 'handoff-top simulator: a lifecycle in minutes, for demos and load tests',
        make_interval(secs => $2::double precision / 1000),
        make_interval(secs => $3::double precision / 1000),
        make_interval(secs => $4::double precision / 1000),
        make_interval(secs => $5::double precision / 1000),
        make_interval(secs => $3::double precision / 1000 / 20))
ON CONFLICT (name) DO UPDATE
   SET session_ttl = EXCLUDED.session_ttl,
       dormant_after = EXCLUDED.dormant_after,
       archive_after = EXCLUDED.archive_after,
       purge_after = EXCLUDED.purge_after,
       activity_resolution = EXCLUDED.activity_resolution;
