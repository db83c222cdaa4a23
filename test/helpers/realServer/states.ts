// The twelve database states the users of the real handoff server
// (ragusa-it/ai-handoff-mcp at efa6ad8) can have, rebuilt from its own paths:
// docker-compose runs scripts/init-db.sql once with ON_ERROR_STOP (each
// statement committed on its own, stop at the first error); setup-db.sh,
// setup-enhanced-db.sh and run-migration.sh run `psql -f` without it (every
// statement on its own, failures skipped, "success" reported); the server
// runs its start-up DDL (./startupDdl.ts) at every start; commits before the
// enhanced monitoring had a base-only init-db.sql. Several of those scripts
// quote function bodies with a single `$`, which PostgreSQL rejects (42601):
// modelled here as one failing statement per such function.
//
// The scripts are restated in our own SQL as the lists of statements psql
// sends; a state is the path of steps that leads to it. The closure of all
// paths (every step applied to every state, to depth 4) gives exactly these
// twelve catalogs besides the empty database; .scratch/issue12-facts.md
// part c lists the other paths and which state each ends in.
import type pg from 'pg';
import {ServerRuntime, localHourStart} from './runtime.js';
import {
	addMonitoringColumns,
	baseTables,
	createIndex,
	createTable,
	dropTrigger,
	monitoringIndexes,
	monitoringTables,
	performanceMonitoringView,
	serverBaseIndexes,
	sessionMonitoringView,
	triggers,
	tryStartupDdl,
	type IndexSpec,
} from './startupDdl.js';

type Queryable = Pick<pg.ClientBase, 'query'>;

// ---------------------------------------------------------------------------
// The scripts, as psql sends them
// ---------------------------------------------------------------------------
/** The four base indexes init-db.sql (and init-enhanced-db.sql) have and the server's DDL does not. */
export const initDbOnlyIndexes: readonly IndexSpec[] = [
	{name: 'idx_sessions_created_at', table: 'sessions', columns: 'created_at'},
	{name: 'idx_context_history_created_at', table: 'context_history', columns: 'created_at'},
	{name: 'idx_codebase_snapshots_file_path', table: 'codebase_snapshots', columns: 'file_path'},
	{name: 'idx_handoff_requests_status', table: 'handoff_requests', columns: 'status'},
];

/** A function quoted with a single `$`: PostgreSQL rejects it with 42601 (syntax error at or near "$"). */
const singleDollarFunction = (name: string) => `create or replace function ${name}() returns trigger as $ begin return new; end $ language plpgsql`;

/** init-db.sql's update_updated_at_column(): the same behaviour as the server's, another body text. */
const initDbUpdatedAtFunction = 'create or replace function update_updated_at_column() returns trigger language plpgsql as $body$ begin new.updated_at = now(); return new; end $body$';

const baseIndexes = [...serverBaseIndexes, ...initDbOnlyIndexes];

/** init-db.sql of the commits before the enhanced monitoring (e.g. 2f9bcab): base tables, ten indexes, the updated_at trigger. */
const oldInitDb = [
	...baseTables.map(table => createTable(table, 'base')),
	...baseIndexes.map(createIndex),
	initDbUpdatedAtFunction,
	// No DROP TRIGGER before it: a second run fails here with 42710.
	triggers.update_sessions_updated_at,
];

const viewStatements = [sessionMonitoringView, performanceMonitoringView];

/** Migration 001's body (and the second half of init-db.sql): columns, tables, indexes, two broken functions,
 * their DROP TRIGGER IF EXISTS + CREATE TRIGGER (which succeed only when the function exists already), views. */
const enhancedMonitoringPart = [
	addMonitoringColumns('sessions'),
	addMonitoringColumns('context_history'),
	...monitoringTables.map(table => createTable(table)),
	...monitoringIndexes.map(createIndex),
	singleDollarFunction('update_last_activity_at'),
	dropTrigger('update_sessions_last_activity'),
	triggers.update_sessions_last_activity,
	singleDollarFunction('log_session_lifecycle_event'),
	dropTrigger('log_session_lifecycle'),
	triggers.log_session_lifecycle,
	...viewStatements,
];

/** scripts/init-db.sql today: the old one, then the enhanced part. */
const initDb = [...oldInitDb, ...enhancedMonitoringPart];

/** scripts/init-enhanced-db.sql: uuid-ossp, the eight full tables, 33 indexes, three broken functions and their
 * CREATE TRIGGERs (no DROP), the views, a seed metric. */
const initEnhancedDb = [
	'create extension if not exists "uuid-ossp"',
	...[...baseTables, ...monitoringTables].map(table => createTable(table)),
	...[...baseIndexes, ...monitoringIndexes].map(createIndex),
	singleDollarFunction('update_updated_at_column'),
	triggers.update_sessions_updated_at,
	singleDollarFunction('update_last_activity_at'),
	triggers.update_sessions_last_activity,
	singleDollarFunction('log_session_lifecycle_event'),
	triggers.log_session_lifecycle,
	...viewStatements,
	`insert into system_metrics (metric_name, metric_value, metric_type, labels)
	 values ('schema_initialized', 1, 'counter', jsonb_build_object('schema_version', 'enhanced_monitoring_v1', 'initialized_at', now()))`,
	"select 'Enhanced Session Monitoring Database Schema Created Successfully!' as status",
];

/** scripts/migrations/001_enhanced_monitoring_schema.sql (run-migration.sh), then its completion marker. */
const runMigration = [
	...enhancedMonitoringPart,
	`insert into system_metrics (metric_name, metric_value, metric_type, labels)
	 values ('migration_completed', 1, 'counter', jsonb_build_object('migration_name', '001_enhanced_monitoring_schema', 'completed_at', now()))`,
];

export type ScriptStep = 'old-init-db' | 'compose-init-db' | 'setup-db' | 'setup-enhanced-db' | 'run-migration';
export type Step = ScriptStep | 'server-start';

/** Each way a script is run: its statements and whether psql stops at the first error (ON_ERROR_STOP=1). */
export const scripts: Record<ScriptStep, {statements: readonly string[]; onErrorStop: boolean; what: string}> = {
	'old-init-db': {statements: oldInitDb, onErrorStop: true, what: 'base-only init-db.sql of older commits (docker-compose or psql -f: nothing fails on an empty database)'},
	'compose-init-db': {statements: initDb, onErrorStop: true, what: 'init-db.sql by the postgres image on an empty volume (psql -v ON_ERROR_STOP=1 -f, no --single-transaction)'},
	'setup-db': {statements: initDb, onErrorStop: false, what: 'init-db.sql by setup-db.sh (psql -f)'},
	'setup-enhanced-db': {statements: initEnhancedDb, onErrorStop: false, what: 'init-enhanced-db.sql by setup-enhanced-db.sh (psql -f)'},
	'run-migration': {statements: runMigration, onErrorStop: false, what: 'migrations/001_enhanced_monitoring_schema.sql by run-migration.sh (psql -f)'},
};

export type StatementFailure = {statement: string; code: string; message: string};
export type StepReport = {step: Step; failures: StatementFailure[]; stopped: boolean};

const firstLine = (sql: string) => sql.split('\n')[0]!.trim();

/** Sends a script's statements one by one outside any transaction, as psql -f does. */
export async function runScript(db: Queryable, statements: readonly string[], onErrorStop: boolean): Promise<{failures: StatementFailure[]; stopped: boolean}> {
	const failures: StatementFailure[] = [];
	for (const statement of statements) {
		try {
			await db.query(statement);
		} catch (error) {
			const {code, message} = error as {code?: string; message: string};
			failures.push({statement: firstLine(statement), code: code ?? 'unknown', message});
			if (onErrorStop) return {failures, stopped: true};
		}
	}

	return {failures, stopped: false};
}

/** One step of a path. A server start that fails is reported (the server exits 1; nothing changed), not thrown. */
export async function applyStep(db: Queryable, step: Step): Promise<StepReport> {
	if (step === 'server-start') {
		const outcome = await tryStartupDdl(db);
		return {step, failures: outcome.ok ? [] : [{statement: 'server start-up DDL', code: outcome.code, message: outcome.message}], stopped: !outcome.ok};
	}

	const script = scripts[step];
	return {step, ...(await runScript(db, script.statements, script.onErrorStop))};
}

// ---------------------------------------------------------------------------
// The twelve states
// ---------------------------------------------------------------------------
export const realServerStates = [
	'base-only',
	'compose-init',
	'setup-db-sh',
	'setup-enhanced-db',
	'server-fresh',
	'base-then-setup-enhanced',
	'setup-db-then-setup-enhanced',
	'compose-init-then-server',
	'server-then-setup-db',
	'setup-enhanced-then-server',
	'setup-enhanced-then-server-then-setup-db',
	'migration-only',
] as const;

export type RealServerState = (typeof realServerStates)[number];
/** A state, or an empty database (a new installation: the server's first start makes it server-fresh). */
export type DatabaseState = RealServerState | 'empty';
/** The twelve states and the empty database. */
export const databaseStates: readonly DatabaseState[] = ['empty', ...realServerStates];

export type StateInfo = {
	path: readonly Step[];
	description: string;
	/** The SQLSTATE the server's start-up DDL fails with on this state (it exits 1), or null when it starts. */
	startupFailure: '42703' | null;
	/** The server has run on it: its runtime rows (expiration_scheduled, duplicate events, 'handoff'
	 * performance rows, its aggregation types) can be there. */
	serverHasRun: boolean;
};

export const stateInfo: Record<DatabaseState, StateInfo> = {
	empty: {path: [], description: 'a new, empty database (the server creates everything at its first start)', startupFailure: null, serverHasRun: false},
	'base-only': {
		path: ['old-init-db'],
		description: 'the base schema of older commits: 4 tables, 10 indexes, update_sessions_updated_at',
		startupFailure: '42703',
		serverHasRun: false,
	},
	'compose-init': {
		path: ['compose-init-db'],
		description: 'docker-compose: init-db.sql up to the first single-$ function (all tables and columns, 33 indexes, updated_at trigger; no lifecycle/last-activity trigger, no views)',
		startupFailure: null,
		serverHasRun: false,
	},
	'setup-db-sh': {
		path: ['setup-db'],
		description: 'setup-db.sh: all of init-db.sql but the two single-$ functions and their triggers (views present)',
		startupFailure: null,
		serverHasRun: false,
	},
	'setup-enhanced-db': {
		path: ['setup-enhanced-db'],
		description: 'setup-enhanced-db.sh: tables, 33 indexes, views, uuid-ossp, no function or trigger at all, a schema_initialized metric',
		startupFailure: null,
		serverHasRun: false,
	},
	'server-fresh': {path: ['server-start'], description: "the server's start-up DDL on an empty database (29 indexes, three triggers, views)", startupFailure: null, serverHasRun: true},
	'base-then-setup-enhanced': {
		path: ['old-init-db', 'setup-enhanced-db'],
		description: 'setup-enhanced-db.sh over a base-only database: monitoring tables but no monitoring columns, only performance_monitoring_view',
		startupFailure: '42703',
		serverHasRun: false,
	},
	'setup-db-then-setup-enhanced': {
		path: ['setup-db', 'setup-enhanced-db'],
		description: 'setup-db-sh plus uuid-ossp and a schema_initialized metric (setup-db.sh and setup-enhanced-db.sh both run, either order)',
		startupFailure: null,
		serverHasRun: false,
	},
	'compose-init-then-server': {
		path: ['compose-init-db', 'server-start'],
		description: "the server's complete schema plus init-db.sql's four extra base indexes (also setup-db-sh or base-only + run-migration, then a server start)",
		startupFailure: null,
		serverHasRun: true,
	},
	'server-then-setup-db': {
		path: ['server-start', 'setup-db'],
		description: "compose-init-then-server's shape, but update_updated_at_column() has init-db.sql's body (setup-db.sh run after the server)",
		startupFailure: null,
		serverHasRun: true,
	},
	'setup-enhanced-then-server': {
		path: ['setup-enhanced-db', 'server-start'],
		description: "compose-init-then-server's shape plus uuid-ossp",
		startupFailure: null,
		serverHasRun: true,
	},
	'setup-enhanced-then-server-then-setup-db': {
		path: ['setup-enhanced-db', 'server-start', 'setup-db'],
		description: "setup-enhanced-then-server's shape with init-db.sql's body of update_updated_at_column()",
		startupFailure: null,
		serverHasRun: true,
	},
	'migration-only': {
		path: ['run-migration'],
		description: 'run-migration.sh on an empty database (before the first server start): only system_metrics and analytics_aggregations, 7 indexes, a migration_completed metric',
		startupFailure: null,
		serverHasRun: false,
	},
};

/** Other paths users take and the state each ends in (checked in the scratch experiment with the real scripts;
 * each checked again by test/realServer/fixtures.test.ts). */
export const equivalentPaths: ReadonlyArray<{path: readonly Step[]; state: DatabaseState}> = [
	{path: ['old-init-db', 'server-start'], state: 'base-only'},
	{path: ['old-init-db', 'setup-db'], state: 'setup-db-sh'},
	{path: ['old-init-db', 'run-migration'], state: 'setup-db-sh'},
	{path: ['compose-init-db', 'setup-db'], state: 'setup-db-sh'},
	{path: ['compose-init-db', 'run-migration'], state: 'setup-db-sh'},
	{path: ['setup-enhanced-db', 'run-migration'], state: 'setup-enhanced-db'},
	{path: ['server-start', 'server-start'], state: 'server-fresh'},
	{path: ['server-start', 'run-migration'], state: 'server-fresh'},
	{path: ['old-init-db', 'setup-enhanced-db', 'server-start'], state: 'base-then-setup-enhanced'},
	{path: ['old-init-db', 'setup-enhanced-db', 'setup-db'], state: 'setup-db-then-setup-enhanced'},
	{path: ['setup-enhanced-db', 'setup-db'], state: 'setup-db-then-setup-enhanced'},
	{path: ['setup-db', 'server-start'], state: 'compose-init-then-server'},
	{path: ['old-init-db', 'run-migration', 'server-start'], state: 'compose-init-then-server'},
	{path: ['server-start', 'setup-enhanced-db'], state: 'setup-enhanced-then-server'},
	{path: ['compose-init-db', 'server-start', 'setup-db'], state: 'server-then-setup-db'},
	{path: ['run-migration', 'run-migration'], state: 'migration-only'},
	{path: ['run-migration', 'server-start'], state: 'server-fresh'},
	{path: ['run-migration', 'setup-db'], state: 'setup-db-sh'},
	{path: ['run-migration', 'setup-enhanced-db'], state: 'setup-enhanced-db'},
];

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------
/** Rows written through the base columns only, as a base-schema server (older commits) or another client
 * did before the monitoring columns existed: sessions without a 'created' event, a context type outside the
 * four ('user_input'), handoff requests, a snapshot. Created days ago. */
export async function insertLegacyRows(db: Queryable): Promise<void> {
	await db.query(`
		with s as (
			insert into sessions (session_key, agent_from, agent_to, status, created_at, updated_at, metadata)
			values ('legacy-open', 'claude', 'gpt', 'active', now() - interval '3 days', now() - interval '2 days', '{"origin": "legacy"}'),
			       ('legacy-done', 'gpt', 'claude', 'completed', now() - interval '9 days', now() - interval '8 days', '{}'),
			       ('legacy-old', 'gemini', null, 'expired', now() - interval '60 days', now() - interval '59 days', '{}')
			returning id, session_key
		), c as (
			insert into context_history (session_id, sequence_number, context_type, content, metadata)
			select s.id, v.seq, v.type, v.content, '{}' from s
			join (values ('legacy-open', 1, 'message', 'hello'), ('legacy-open', 2, 'user_input', 'please continue'),
			             ('legacy-done', 1, 'tool_call', '{"tool": "grep"}'), ('legacy-old', 1, 'system', 'registered')) v (key, seq, type, content)
			  on v.key = s.session_key
		), h as (
			insert into handoff_requests (session_id, requesting_agent, target_agent, request_type, status, completed_at)
			select s.id, 'claude', 'gpt', 'context_transfer', v.status, v.completed from s
			join (values ('legacy-open', 'pending', null::timestamptz), ('legacy-done', 'completed', now() - interval '8 days')) v (key, status, completed)
			  on v.key = s.session_key
		)
		insert into codebase_snapshots (session_id, file_path, content_hash, content)
		select id, 'src/index.ts', repeat('ab', 32), 'export {}' from s where session_key = 'legacy-open'`);
}

/** Traffic of the real server on a database it has started on, through its own statements (./runtime.ts):
 * six registered sessions (each with 'created' by the trigger and 'expiration_scheduled' by the server),
 * context updates incl. 'user_input', dormant, reactivated (by activity), expired, a full handoff
 * ('completed'), an archived session archived 40 days ago (its purge under the 30-day standard policy is due;
 * its 'handoff' performance row holds the FK), a metrics collection with 'hourly_performance', the same
 * bucket written again by a second server process, and the analytics aggregation types. */
export async function runServerTraffic(db: Queryable, options: {now?: Date; keepGoing?: boolean} = {}): Promise<ServerRuntime> {
	const now = options.now ?? new Date();
	const server = new ServerRuntime(db);
	// keepGoing: a flow whose statement fails (recorded in server.failures()) ends that session's story only.
	const story = async (run: () => Promise<void>) => {
		try {
			await run();
		} catch (error) {
			if (!options.keepGoing) throw error;
		}
	};
	const register = async (sessionKey: string, agentFrom = 'claude') => {
		const result = await server.registerSession({sessionKey, agentFrom, metadata: {client: 'fixture'}});
		if (!result.ok) throw new Error(`registerSession ${sessionKey}: ${result.reason}`);
		return result.session['id'] as string;
	};

	await story(async () => {
		await register('srv-active');
		await server.updateContext({sessionKey: 'srv-active', contextType: 'user_input', content: 'what changed?'});
		await server.updateContext({sessionKey: 'srv-active', contextType: 'message', content: 'the schema'});
	});
	await story(async () => server.markSessionDormant(await register('srv-dormant', 'gpt')));
	await story(async () => {
		await server.markSessionDormant(await register('srv-reactivated'));
		await server.updateContext({sessionKey: 'srv-reactivated', contextType: 'message', content: 'back again'});
	});
	await story(async () => server.expireSession(await register('srv-expired', 'gemini')));
	await story(async () => {
		await register('srv-handoff');
		await server.requestHandoff({sessionKey: 'srv-handoff', targetAgent: 'gpt', requestType: 'full_handoff'});
	});
	await story(async () => {
		const archived = await register('srv-archived');
		await server.requestHandoff({sessionKey: 'srv-archived', targetAgent: 'gemini'});
		await server.archiveSession(archived, new Date(now.getTime() - 40 * 86_400_000));
	});
	await story(async () => {
		const bucket = localHourStart(now);
		await server.collectSystemMetrics(bucket);
		// A second server process (one per MCP client) passed the same "already aggregated?" check.
		await server.storeMetricsAggregation('hourly_performance', bucket, {operations: {}});
		await server.ensureAggregationsUpToDate(now);
		await server.aggregateAnalyticsData(new Date(now.getTime() - 86_400_000), 'daily_context_growth');
	});
	return server;
}

export type BuildOptions = {
	/** Add realistic rows: legacy base rows after the first script, the server's traffic after its first start. */
	rows?: boolean;
};

export type BuildReport = {steps: StepReport[]; server?: ServerRuntime};

/** Builds a path of steps (any sequence, e.g. a state's path followed by more). */
export async function buildPath(db: Queryable, path: readonly Step[], options: BuildOptions = {}): Promise<BuildReport> {
	const report: BuildReport = {steps: []};
	for (const [index, step] of path.entries()) {
		const stepReport = await applyStep(db, step);
		report.steps.push(stepReport);
		if (!options.rows) continue;
		if (index === 0 && step !== 'server-start' && (await hasTable(db, 'sessions'))) await insertLegacyRows(db);
		if (step === 'server-start' && !stepReport.stopped && !report.server) report.server = await runServerTraffic(db);
	}

	return report;
}

/** Builds one of the twelve states (or leaves it empty) in `db`, an empty database. */
export async function buildState(db: Queryable, state: DatabaseState, options: BuildOptions = {}): Promise<BuildReport> {
	return buildPath(db, stateInfo[state].path, options);
}

async function hasTable(db: Queryable, table: string): Promise<boolean> {
	const {rows} = await db.query('select to_regclass($1) is not null as present', [`public.${table}`]);
	return rows[0].present;
}

// ---------------------------------------------------------------------------
// Catalog fingerprint
// ---------------------------------------------------------------------------
/** The public schema's catalog as text: extensions, columns of tables and views, constraints (not PG 18's
 * NOT NULL rows), indexes, triggers, functions with a hash of the body, view definitions. Equal for two
 * databases in the same state on one server. */
export async function catalogFingerprint(db: Queryable): Promise<string> {
	const sections: Array<[string, string]> = [
		['extension', "select extname from pg_extension where extname <> 'plpgsql' order by 1"],
		[
			'column',
			`select c.relname, c.relkind, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
			   from pg_attribute a join pg_class c on c.oid = a.attrelid
			   left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
			  where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v') and a.attnum > 0 and not a.attisdropped
			  order by 1, 3`,
		],
		['constraint', "select conrelid::regclass::text, conname, pg_get_constraintdef(oid) from pg_constraint where connamespace = 'public'::regnamespace and contype <> 'n' order by 1, 2"],
		['index', "select pg_get_indexdef(indexrelid) from pg_index i join pg_class c on c.oid = i.indexrelid where c.relnamespace = 'public'::regnamespace order by c.relname"],
		['trigger', "select pg_get_triggerdef(t.oid), t.tgenabled from pg_trigger t join pg_class c on c.oid = t.tgrelid where not t.tgisinternal and c.relnamespace = 'public'::regnamespace order by t.tgname, c.relname"],
		['function', "select p.oid::regprocedure::text, md5(p.prosrc) from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1"],
		['view', "select viewname, md5(definition) from pg_views where schemaname = 'public' order by 1"],
	];
	const lines: string[] = [];
	for (const [kind, sql] of sections) {
		const {rows} = await db.query({text: sql, rowMode: 'array'});
		for (const row of rows as unknown[][]) lines.push(`${kind} ${row.map(value => String(value)).join(' | ')}`);
	}

	return lines.join('\n');
}

