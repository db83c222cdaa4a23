// The start-up DDL of the real handoff server (ragusa-it/ai-handoff-mcp at
// efa6ad8, src/database/schema.ts run by DatabaseManager.initialize()),
// restated in our own SQL with the same effects: the same tables, columns,
// defaults and constraint names, the same 29 index names and definitions, the
// same three trigger functions (same behaviour, not the same body text) behind
// DROP TRIGGER IF EXISTS + CREATE TRIGGER, and both views with the server's
// column names, order and types. Replayed in one transaction, as the server
// does; any error rolls it back and is thrown as PostgreSQL reported it (the
// server then exits 1). See .scratch/issue12-facts.md.
import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

// ---------------------------------------------------------------------------
// Tables. The four base tables are the pre-enhancement schema plus the
// monitoring columns at the end (the column order an ALTER TABLE ... ADD
// COLUMN of init-db.sql gives too); the four monitoring tables follow.
// ---------------------------------------------------------------------------
const columns = {
	sessions: [
		'id uuid primary key default gen_random_uuid()',
		'session_key varchar(255) unique not null',
		'agent_from varchar(100) not null',
		'agent_to varchar(100)',
		"status varchar(50) not null default 'active'",
		'created_at timestamptz default now()',
		'updated_at timestamptz default now()',
		'expires_at timestamptz',
		"metadata jsonb default '{}'",
	],
	context_history: [
		'id uuid primary key default gen_random_uuid()',
		'session_id uuid not null references sessions (id) on delete cascade',
		'sequence_number integer not null',
		'context_type varchar(50) not null',
		'content text not null',
		"metadata jsonb default '{}'",
		'created_at timestamptz default now()',
	],
	codebase_snapshots: [
		'id uuid primary key default gen_random_uuid()',
		'session_id uuid not null references sessions (id) on delete cascade',
		'file_path varchar(500) not null',
		'content_hash varchar(64) not null',
		'content text',
		"analysis_result jsonb default '{}'",
		'created_at timestamptz default now()',
	],
	handoff_requests: [
		'id uuid primary key default gen_random_uuid()',
		'session_id uuid not null references sessions (id) on delete cascade',
		'requesting_agent varchar(100) not null',
		'target_agent varchar(100)',
		"request_type varchar(50) not null default 'context_transfer'",
		"request_data jsonb default '{}'",
		"status varchar(50) not null default 'pending'",
		'created_at timestamptz default now()',
		'completed_at timestamptz',
	],
	session_lifecycle: [
		'id uuid primary key default gen_random_uuid()',
		'session_id uuid not null references sessions (id) on delete cascade',
		'event_type varchar(50) not null',
		"event_data jsonb default '{}'",
		'created_at timestamptz default now()',
	],
	system_metrics: [
		'id uuid primary key default gen_random_uuid()',
		'metric_name varchar(100) not null',
		'metric_value numeric not null',
		'metric_type varchar(50) not null',
		"labels jsonb default '{}'",
		'recorded_at timestamptz default now()',
	],
	performance_logs: [
		'id uuid primary key default gen_random_uuid()',
		'operation varchar(100) not null',
		'duration_ms integer not null',
		'success boolean not null',
		// No ON DELETE: a DELETE of a session with performance rows fails (23503).
		'session_id uuid references sessions (id)',
		"metadata jsonb default '{}'",
		'created_at timestamptz default now()',
	],
	analytics_aggregations: [
		'id uuid primary key default gen_random_uuid()',
		'aggregation_type varchar(50) not null',
		'time_bucket timestamptz not null',
		'aggregation_data jsonb not null',
		'created_at timestamptz default now()',
	],
} as const;

/** The monitoring columns the enhanced schema adds to the two base tables, as `name type default`. */
export const monitoringColumns = {
	sessions: [
		'last_activity_at timestamptz default now()',
		'is_dormant boolean default false',
		'archived_at timestamptz',
		"retention_policy varchar(50) default 'standard'",
	],
	context_history: ['processing_time_ms integer', 'content_size_bytes integer'],
} as const;

export type ServerTable = keyof typeof columns;
export const baseTables = ['sessions', 'context_history', 'codebase_snapshots', 'handoff_requests'] as const;
export const monitoringTables = ['session_lifecycle', 'system_metrics', 'performance_logs', 'analytics_aggregations'] as const;

const tableConstraints: Partial<Record<ServerTable, string>> = {
	context_history: 'unique (session_id, sequence_number)',
};

/** `CREATE TABLE IF NOT EXISTS` of a table: `base` leaves out the monitoring columns (the pre-enhancement shape). */
export function createTable(table: ServerTable, shape: 'full' | 'base' = 'full'): string {
	const extra = shape === 'full' && table in monitoringColumns ? monitoringColumns[table as keyof typeof monitoringColumns] : [];
	const constraint = tableConstraints[table];
	const parts = [...columns[table], ...extra, ...(constraint ? [constraint] : [])];
	return `create table if not exists ${table} (\n\t${parts.join(',\n\t')}\n)`;
}

/** The ALTER TABLE ... ADD COLUMN IF NOT EXISTS of init-db.sql and migration 001 for one base table. */
export function addMonitoringColumns(table: keyof typeof monitoringColumns): string {
	return `alter table ${table} ${monitoringColumns[table].map(column => `add column if not exists ${column}`).join(', ')}`;
}

// ---------------------------------------------------------------------------
// Indexes: the server's 29, all plain (non-partial) b-trees except one GIN.
// ---------------------------------------------------------------------------
export type IndexSpec = {name: string; table: ServerTable; columns: string; using?: 'gin'};

const index = (name: string, table: ServerTable, cols: string, using?: 'gin'): IndexSpec => ({name, table, columns: cols, ...(using ? {using} : {})});

/** The six indexes of the base tables the server creates (init-db.sql has these and four more). */
export const serverBaseIndexes: readonly IndexSpec[] = [
	index('idx_sessions_session_key', 'sessions', 'session_key'),
	index('idx_sessions_status', 'sessions', 'status'),
	index('idx_context_history_session_id', 'context_history', 'session_id'),
	index('idx_context_history_sequence', 'context_history', 'session_id, sequence_number'),
	index('idx_codebase_snapshots_session_id', 'codebase_snapshots', 'session_id'),
	index('idx_handoff_requests_session_id', 'handoff_requests', 'session_id'),
];

/** The 23 monitoring indexes (the same set in schema.ts, init-db.sql, init-enhanced-db.sql and migration 001). */
export const monitoringIndexes: readonly IndexSpec[] = [
	index('idx_sessions_last_activity_at', 'sessions', 'last_activity_at'),
	index('idx_sessions_is_dormant', 'sessions', 'is_dormant'),
	index('idx_sessions_archived_at', 'sessions', 'archived_at'),
	index('idx_sessions_retention_policy', 'sessions', 'retention_policy'),
	index('idx_sessions_status_last_activity', 'sessions', 'status, last_activity_at'),
	index('idx_sessions_dormant_last_activity', 'sessions', 'is_dormant, last_activity_at'),
	index('idx_context_history_processing_time', 'context_history', 'processing_time_ms'),
	index('idx_context_history_content_size', 'context_history', 'content_size_bytes'),
	index('idx_session_lifecycle_session_id', 'session_lifecycle', 'session_id'),
	index('idx_session_lifecycle_event_type', 'session_lifecycle', 'event_type'),
	index('idx_session_lifecycle_created_at', 'session_lifecycle', 'created_at'),
	index('idx_system_metrics_name', 'system_metrics', 'metric_name'),
	index('idx_system_metrics_recorded_at', 'system_metrics', 'recorded_at'),
	index('idx_system_metrics_name_recorded_at', 'system_metrics', 'metric_name, recorded_at'),
	index('idx_system_metrics_labels', 'system_metrics', 'labels', 'gin'),
	index('idx_performance_logs_operation', 'performance_logs', 'operation'),
	index('idx_performance_logs_session_id', 'performance_logs', 'session_id'),
	index('idx_performance_logs_created_at', 'performance_logs', 'created_at'),
	index('idx_performance_logs_success', 'performance_logs', 'success'),
	index('idx_performance_logs_operation_created_at', 'performance_logs', 'operation, created_at'),
	index('idx_analytics_aggregations_type', 'analytics_aggregations', 'aggregation_type'),
	index('idx_analytics_aggregations_time_bucket', 'analytics_aggregations', 'time_bucket'),
	index('idx_analytics_aggregations_type_time_bucket', 'analytics_aggregations', 'aggregation_type, time_bucket'),
];

/** Every index the server's start-up DDL creates with CREATE INDEX IF NOT EXISTS (29; issue 12 says 30). */
export const serverIndexes: readonly IndexSpec[] = [...serverBaseIndexes, ...monitoringIndexes];

export function createIndex(spec: IndexSpec): string {
	return `create index if not exists ${spec.name} on ${spec.table}${spec.using ? ` using ${spec.using}` : ''} (${spec.columns})`;
}

// ---------------------------------------------------------------------------
// Trigger functions and triggers. Bodies behave as the server's: the updated_at
// and last_activity_at functions overwrite the column on every UPDATE; the
// lifecycle function logs 'created' on INSERT and, on UPDATE, 'status_changed',
// 'dormant'/'reactivated' and 'archived' with plain <> comparisons (a change
// to or from NULL logs nothing), in that order, and never 'expired'.
// ---------------------------------------------------------------------------
/** `update_updated_at_column()` as the server's start-up DDL defines it. */
export const updatedAtFunction = `create or replace function update_updated_at_column() returns trigger as $fn$
begin
	new.updated_at := now();
	return new;
end
$fn$ language plpgsql`;

export const lastActivityFunction = `create or replace function update_last_activity_at() returns trigger as $fn$
begin
	new.last_activity_at := now();
	return new;
end
$fn$ language plpgsql`;

export const lifecycleFunction = `create or replace function log_session_lifecycle_event() returns trigger as $fn$
begin
	if tg_op = 'INSERT' then
		insert into session_lifecycle (session_id, event_type, event_data)
		values (new.id, 'created', jsonb_build_object('agent_from', new.agent_from, 'agent_to', new.agent_to, 'retention_policy', new.retention_policy));
		return new;
	end if;
	if tg_op = 'UPDATE' then
		if old.status <> new.status then
			insert into session_lifecycle (session_id, event_type, event_data)
			values (new.id, 'status_changed', jsonb_build_object('old_status', old.status, 'new_status', new.status));
		end if;
		if old.is_dormant <> new.is_dormant then
			insert into session_lifecycle (session_id, event_type, event_data)
			values (new.id, case when new.is_dormant then 'dormant' else 'reactivated' end, jsonb_build_object('previous_state', old.is_dormant));
		end if;
		if old.archived_at is null and new.archived_at is not null then
			insert into session_lifecycle (session_id, event_type, event_data)
			values (new.id, 'archived', jsonb_build_object('archived_at', new.archived_at, 'final_status', new.status));
		end if;
		return new;
	end if;
	return null;
end
$fn$ language plpgsql`;

export const triggers = {
	update_sessions_updated_at: 'create trigger update_sessions_updated_at before update on sessions for each row execute function update_updated_at_column()',
	update_sessions_last_activity: 'create trigger update_sessions_last_activity before update on sessions for each row execute function update_last_activity_at()',
	log_session_lifecycle: 'create trigger log_session_lifecycle after insert or update on sessions for each row execute function log_session_lifecycle_event()',
} as const;

export const dropTrigger = (name: keyof typeof triggers) => `drop trigger if exists ${name} on sessions`;

// ---------------------------------------------------------------------------
// Views: CREATE OR REPLACE VIEW, so an existing view of the same name must
// already have exactly these columns, in this order and of these types, as a
// prefix of its own, else 42P16 and the whole start-up rolls back.
// ---------------------------------------------------------------------------
export const serverViewColumns = {
	session_monitoring_view: [
		['id', 'uuid'],
		['session_key', 'character varying(255)'],
		['agent_from', 'character varying(100)'],
		['agent_to', 'character varying(100)'],
		['status', 'character varying(50)'],
		['created_at', 'timestamp with time zone'],
		['updated_at', 'timestamp with time zone'],
		['last_activity_at', 'timestamp with time zone'],
		['is_dormant', 'boolean'],
		['archived_at', 'timestamp with time zone'],
		['retention_policy', 'character varying(50)'],
		['expires_at', 'timestamp with time zone'],
		['hours_since_activity', 'numeric'],
		['context_entries', 'bigint'],
		['handoff_requests', 'bigint'],
		['last_lifecycle_event', 'character varying(50)'],
	],
	performance_monitoring_view: [
		['operation', 'character varying(100)'],
		['total_calls', 'bigint'],
		['avg_duration_ms', 'numeric'],
		['min_duration_ms', 'integer'],
		['max_duration_ms', 'integer'],
		['p95_duration_ms', 'double precision'],
		['successful_calls', 'bigint'],
		['failed_calls', 'bigint'],
		['success_rate_percent', 'numeric'],
	],
} as const satisfies Record<string, ReadonlyArray<readonly [string, string]>>;

export const sessionMonitoringView = `create or replace view session_monitoring_view as
select s.id, s.session_key, s.agent_from, s.agent_to, s.status, s.created_at, s.updated_at,
	s.last_activity_at, s.is_dormant, s.archived_at, s.retention_policy, s.expires_at,
	extract(epoch from now() - s.last_activity_at) / 3600 as hours_since_activity,
	(select count(*) from context_history ch where ch.session_id = s.id) as context_entries,
	(select count(*) from handoff_requests hr where hr.session_id = s.id) as handoff_requests,
	(select sl.event_type from session_lifecycle sl where sl.session_id = s.id order by sl.created_at desc limit 1) as last_lifecycle_event
from sessions s`;

export const performanceMonitoringView = `create or replace view performance_monitoring_view as
select operation,
	count(*) as total_calls,
	avg(duration_ms) as avg_duration_ms,
	min(duration_ms) as min_duration_ms,
	max(duration_ms) as max_duration_ms,
	percentile_cont(0.95) within group (order by duration_ms) as p95_duration_ms,
	count(*) filter (where success = true) as successful_calls,
	count(*) filter (where success = false) as failed_calls,
	count(*) filter (where success = true) * 100.0 / count(*) as success_rate_percent
from performance_logs
where created_at >= now() - interval '24 hours'
group by operation
order by total_calls desc`;

/** The queries the server sends inside its start-up transaction, in order, grouped as it groups them
 * (one query per table, then one multi-statement query each for indexes, triggers, enhanced triggers, views). */
export function startupDdlQueries(): string[] {
	const tables = [...baseTables, ...monitoringTables].map(table => createTable(table));
	return [
		...tables,
		serverIndexes.map(createIndex).join(';\n'),
		[updatedAtFunction, dropTrigger('update_sessions_updated_at'), triggers.update_sessions_updated_at].join(';\n'),
		[
			lastActivityFunction,
			dropTrigger('update_sessions_last_activity'),
			triggers.update_sessions_last_activity,
			lifecycleFunction,
			dropTrigger('log_session_lifecycle'),
			triggers.log_session_lifecycle,
		].join(';\n'),
		[sessionMonitoringView, performanceMonitoringView].join(';\n'),
	];
}

/** Replays the server's start-up DDL in one transaction. On error: ROLLBACK and rethrow the PostgreSQL error
 * (its `code` is the SQLSTATE, e.g. 42P16 for a view it cannot replace, 42703 on a base-only database). */
export async function runStartupDdl(db: Queryable): Promise<void> {
	await db.query('BEGIN');
	try {
		for (const text of startupDdlQueries()) await db.query(text);
		await db.query('COMMIT');
	} catch (error) {
		await db.query('ROLLBACK');
		throw error;
	}
}

/** Runs the start-up DDL and reports its outcome instead of throwing. */
export async function tryStartupDdl(db: Queryable): Promise<{ok: true} | {ok: false; code: string; message: string}> {
	try {
		await runStartupDdl(db);
		return {ok: true};
	} catch (error) {
		const {code, message} = error as {code?: string; message: string};
		return {ok: false, code: code ?? 'unknown', message};
	}
}
