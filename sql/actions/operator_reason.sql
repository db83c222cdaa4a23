-- Marks the current transaction's lifecycle events as an operator's action
-- (event_data.reason = 'operator' instead of 'application').
SELECT set_config('handoff_top.lifecycle_reason', 'operator', true);
