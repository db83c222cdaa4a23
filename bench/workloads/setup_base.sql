-- The base schema has no performance_logs: the mix's "log performance" step
-- writes to a bare table with the spec's columns (primary key only), so the
-- comparison measures what the enhancement's schema adds (indexes, foreign
-- key, triggers), not whether the application logs at all.
CREATE TABLE performance_logs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    operation varchar(100) NOT NULL,
    duration_ms integer NOT NULL,
    success boolean NOT NULL DEFAULT true,
    session_id uuid,
    metadata jsonb DEFAULT '{}',
    created_at timestamptz DEFAULT now()
);
