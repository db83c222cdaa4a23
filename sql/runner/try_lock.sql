-- Session-level advisory lock, taken outside any transaction: it survives each
-- migration's COMMIT and cannot deadlock with CREATE INDEX CONCURRENTLY.
SELECT pg_try_advisory_lock(hashtext('handoff-top:migrate')) AS locked
