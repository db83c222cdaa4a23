-- The objects the simulator writes to or calls; a row per missing one.
SELECT o.name
  FROM (VALUES
        ('table sessions', to_regclass('sessions') IS NOT NULL),
        ('table context_history', to_regclass('context_history') IS NOT NULL),
        ('table handoff_requests', to_regclass('handoff_requests') IS NOT NULL),
        ('table session_lifecycle', to_regclass('session_lifecycle') IS NOT NULL),
        ('table performance_logs', to_regclass('performance_logs') IS NOT NULL),
        ('table system_metrics', to_regclass('system_metrics') IS NOT NULL),
        ('table retention_policies', to_regclass('retention_policies') IS NOT NULL),
        ('function lifecycle_sweep', to_regprocedure('lifecycle_sweep(boolean, timestamptz, integer)') IS NOT NULL)
       ) AS o(name, present)
 WHERE NOT o.present;
