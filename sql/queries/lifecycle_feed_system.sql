-- The cluster's system identifier: a physical standby and the primary it was
-- copied from share it (their transaction ids are one sequence); another
-- cluster has its own. Needs EXECUTE on pg_control_system() (the feed does
-- without it when the role may not call it).
SELECT system_identifier::text AS system_identifier FROM pg_control_system()
