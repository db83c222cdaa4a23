-- The notification gate's single row (granted to PUBLIC by migration 003).
SELECT channel, listener_pattern
FROM lifecycle_notify_gate
WHERE id = 1
