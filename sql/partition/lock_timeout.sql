-- The swap waits at most this long for its ACCESS EXCLUSIVE lock (writers queue behind a waiting lock).
SELECT set_config('lock_timeout', $1::text, true)
