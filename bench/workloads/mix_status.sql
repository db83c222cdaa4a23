-- (b) Change a session's status.
\set n random(1, :sessions)
UPDATE sessions SET status = CASE status WHEN 'active' THEN 'paused' ELSE 'active' END WHERE session_key = 'bench-' || :n;
