-- The stored password verifier of role $1 (readable by superusers only), to
-- tell whether --monitor-password would change anything.
SELECT rolpassword AS verifier FROM pg_authid WHERE rolname = $1
