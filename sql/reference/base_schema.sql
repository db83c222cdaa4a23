-- The pre-enhancement schema of an AI handoff server database, as production
-- databases have it before handoff-top's migrations. Used by the tests (a
-- populated base database to migrate) and the benchmarks (the baseline).
CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_key varchar(255) UNIQUE NOT NULL,
    agent_from varchar(100) NOT NULL,
    agent_to varchar(100),
    status varchar(50) NOT NULL DEFAULT 'active',
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    expires_at timestamptz,
    metadata jsonb DEFAULT '{}'
);
CREATE TABLE context_history (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    sequence_number integer NOT NULL,
    context_type varchar(50) NOT NULL,
    content text NOT NULL,
    metadata jsonb DEFAULT '{}',
    created_at timestamptz DEFAULT now(),
    UNIQUE (session_id, sequence_number)
);
CREATE TABLE codebase_snapshots (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    file_path varchar(500) NOT NULL,
    content_hash varchar(64) NOT NULL,
    content text,
    analysis_result jsonb DEFAULT '{}',
    created_at timestamptz DEFAULT now()
);
CREATE TABLE handoff_requests (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    requesting_agent varchar(100) NOT NULL,
    target_agent varchar(100),
    request_type varchar(50) NOT NULL DEFAULT 'context_transfer',
    request_data jsonb DEFAULT '{}',
    status varchar(50) NOT NULL DEFAULT 'pending',
    created_at timestamptz DEFAULT now(),
    completed_at timestamptz
);
CREATE INDEX idx_sessions_session_key ON sessions (session_key);
CREATE INDEX idx_sessions_status ON sessions (status);
CREATE INDEX idx_sessions_created_at ON sessions (created_at);
CREATE INDEX idx_context_history_session_id ON context_history (session_id);
CREATE INDEX idx_context_history_sequence ON context_history (session_id, sequence_number);
CREATE INDEX idx_context_history_created_at ON context_history (created_at);
CREATE INDEX idx_codebase_snapshots_session_id ON codebase_snapshots (session_id);
CREATE INDEX idx_codebase_snapshots_file_path ON codebase_snapshots (file_path);
CREATE INDEX idx_handoff_requests_session_id ON handoff_requests (session_id);
CREATE INDEX idx_handoff_requests_status ON handoff_requests (status);

CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER update_sessions_updated_at
    BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
