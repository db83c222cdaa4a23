-- The migration history: one row per applied migration file, with the SHA-256
-- of the file as it was applied. 'baselined' rows were found already in place
-- (a database set up before the tracking table existed) rather than run.
CREATE TABLE IF NOT EXISTS handoff_top_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum char(64) NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user,
    execution_ms integer,
    baselined boolean NOT NULL DEFAULT false
);
