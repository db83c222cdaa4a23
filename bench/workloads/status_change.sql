-- (a) A session's status changes: the lifecycle triggers' worst case.
\set n random(1, :sessions)
UPDATE sessions SET status = CASE status WHEN 'active' THEN 'paused' ELSE 'active' END WHERE session_key = 'bench-' || :n;
