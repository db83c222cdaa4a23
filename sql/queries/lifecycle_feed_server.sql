-- The server a feed reads from. A hot standby (in_recovery) cannot LISTEN: the
-- feed polls there. next_xid is the next transaction id this server will
-- assign (a standby: the next one it knows of); a cursor at or above it was
-- not written in this server's transaction history.
SELECT pg_is_in_recovery() AS in_recovery,
       pg_snapshot_xmax(pg_current_snapshot())::text AS next_xid
