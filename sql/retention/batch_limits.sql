-- The bound of one retention batch ($1, e.g. '2000ms'): it is cancelled (and
-- retried smaller) rather than hold its rows' locks longer, and never queues
-- for a table lock longer either.
SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true)
