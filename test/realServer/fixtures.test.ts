// The fixtures of the real handoff server (test/helpers/realServer): every
// state builds, the states are twelve different catalogs with the facts that
// tell them apart, the scripts fail where the real ones do, the server's
// start-up DDL starts (or not) where the real server does and lands in the
// state the real one lands in, other paths end in the same states, and the
// runtime statements behave on the server's own schema as the real server's.
// Nothing here runs handoff-top.
import type pg from 'pg';
import {beforeAll, describe, expect, it} from 'vitest';
import {ServerRuntime, serverAggregationTypes} from '../helpers/realServer/runtime.js';
import {runStartupDdl, serverIndexes, serverViewColumns, tryStartupDdl} from '../helpers/realServer/startupDdl.js';
import {
	buildPath,
	buildState,
	catalogFingerprint,
	databaseStates,
	equivalentPaths,
	realServerStates,
	stateInfo,
	type BuildReport,
	type DatabaseState,
} from '../helpers/realServer/states.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const servers = useServerDatabases();

type Built = {database: string; report: BuildReport; fingerprint: string};
const built = new Map<DatabaseState, Built>();

const withClient = <T>(database: string, run: (client: pg.Client) => Promise<T>) => servers.withClient(database, run);

beforeAll(async () => {
	await Promise.all(
		databaseStates.map(async state => {
			const database = await servers.empty();
			const entry = await withClient(database, async client => {
				const report = await buildState(client, state, {rows: true});
				return {database, report, fingerprint: await catalogFingerprint(client)};
			});
			built.set(state, entry);
		}),
	);
}, 60_000);

const get = (state: DatabaseState) => built.get(state)!;

/** The catalog facts that tell the states apart. */
async function signature(client: pg.Client) {
	const {rows} = await client.query(`
		select
			(select count(*)::int from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'
			    and relname in ('sessions', 'context_history', 'codebase_snapshots', 'handoff_requests',
			                    'session_lifecycle', 'system_metrics', 'performance_logs', 'analytics_aggregations')) as tables,
			exists (select from pg_attribute where attrelid = to_regclass('public.sessions') and attname = 'last_activity_at') as monitoring_columns,
			coalesce((select array_agg(viewname::text order by viewname) from pg_views where schemaname = 'public'), '{}') as views,
			coalesce((select array_agg(tgname::text order by tgname) from pg_trigger where tgrelid = to_regclass('public.sessions') and not tgisinternal), '{}') as triggers,
			(select count(*)::int from pg_class where relnamespace = 'public'::regnamespace and relkind = 'i' and relname like 'idx\\_%') as indexes,
			to_regclass('public.idx_sessions_created_at') is not null as init_db_indexes,
			exists (select from pg_extension where extname = 'uuid-ossp') as uuid_ossp,
			(select case when prosrc like '%:=%' then 'server' else 'init-db' end from pg_proc
			  where proname = 'update_updated_at_column' and pronamespace = 'public'::regnamespace) as updated_at_body`);
	return rows[0];
}

const both = ['performance_monitoring_view', 'session_monitoring_view'];
const all3 = ['log_session_lifecycle', 'update_sessions_last_activity', 'update_sessions_updated_at'];
const expectedSignatures: Record<DatabaseState, Record<string, unknown>> = {
	empty: {tables: 0, monitoring_columns: false, views: [], triggers: [], indexes: 0, init_db_indexes: false, uuid_ossp: false, updated_at_body: null},
	'base-only': {tables: 4, monitoring_columns: false, views: [], triggers: ['update_sessions_updated_at'], indexes: 10, init_db_indexes: true, uuid_ossp: false, updated_at_body: 'init-db'},
	'compose-init': {tables: 8, monitoring_columns: true, views: [], triggers: ['update_sessions_updated_at'], indexes: 33, init_db_indexes: true, uuid_ossp: false, updated_at_body: 'init-db'},
	'setup-db-sh': {tables: 8, monitoring_columns: true, views: both, triggers: ['update_sessions_updated_at'], indexes: 33, init_db_indexes: true, uuid_ossp: false, updated_at_body: 'init-db'},
	'setup-enhanced-db': {tables: 8, monitoring_columns: true, views: both, triggers: [], indexes: 33, init_db_indexes: true, uuid_ossp: true, updated_at_body: null},
	'server-fresh': {tables: 8, monitoring_columns: true, views: both, triggers: all3, indexes: 29, init_db_indexes: false, uuid_ossp: false, updated_at_body: 'server'},
	'base-then-setup-enhanced': {
		tables: 8,
		monitoring_columns: false,
		views: ['performance_monitoring_view'],
		triggers: ['update_sessions_updated_at'],
		indexes: 25,
		init_db_indexes: true,
		uuid_ossp: true,
		updated_at_body: 'init-db',
	},
	'setup-db-then-setup-enhanced': {tables: 8, monitoring_columns: true, views: both, triggers: ['update_sessions_updated_at'], indexes: 33, init_db_indexes: true, uuid_ossp: true, updated_at_body: 'init-db'},
	'compose-init-then-server': {tables: 8, monitoring_columns: true, views: both, triggers: all3, indexes: 33, init_db_indexes: true, uuid_ossp: false, updated_at_body: 'server'},
	'server-then-setup-db': {tables: 8, monitoring_columns: true, views: both, triggers: all3, indexes: 33, init_db_indexes: true, uuid_ossp: false, updated_at_body: 'init-db'},
	'setup-enhanced-then-server': {tables: 8, monitoring_columns: true, views: both, triggers: all3, indexes: 33, init_db_indexes: true, uuid_ossp: true, updated_at_body: 'server'},
	'setup-enhanced-then-server-then-setup-db': {tables: 8, monitoring_columns: true, views: both, triggers: all3, indexes: 33, init_db_indexes: true, uuid_ossp: true, updated_at_body: 'init-db'},
	'migration-only': {tables: 2, monitoring_columns: false, views: [], triggers: [], indexes: 7, init_db_indexes: false, uuid_ossp: false, updated_at_body: null},
};

/** The state a successful server start turns each state into. */
const afterStart: Partial<Record<DatabaseState, DatabaseState>> = {
	empty: 'server-fresh',
	'migration-only': 'server-fresh',
	'compose-init': 'compose-init-then-server',
	'setup-db-sh': 'compose-init-then-server',
	'setup-enhanced-db': 'setup-enhanced-then-server',
	'setup-db-then-setup-enhanced': 'setup-enhanced-then-server',
	'server-then-setup-db': 'compose-init-then-server',
	'setup-enhanced-then-server-then-setup-db': 'setup-enhanced-then-server',
};

describe('the real server database states', () => {
	it('are twelve different catalogs, none of them empty', () => {
		expect(realServerStates).toHaveLength(12);
		expect(new Set(databaseStates.map(state => get(state).fingerprint)).size).toBe(13);
	});

	it.each(databaseStates)('%s has the catalog facts that tell it apart', async state => {
		const actual = await withClient(get(state).database, signature);
		expect(actual).toEqual(expectedSignatures[state]);
	});

	it('fail in the scripts where the real scripts fail', () => {
		const codes = (state: DatabaseState) => get(state).report.steps.map(step => [step.step, step.stopped, step.failures.map(failure => failure.code)]);
		// Single-$ function: 42601; its CREATE TRIGGER: 42883 (no such function); a second CREATE TRIGGER: 42710.
		expect(codes('compose-init')).toEqual([['compose-init-db', true, ['42601']]]);
		expect(codes('setup-db-sh')).toEqual([['setup-db', false, ['42601', '42883', '42601', '42883']]]);
		expect(codes('setup-enhanced-db')).toEqual([['setup-enhanced-db', false, ['42601', '42883', '42601', '42883', '42601', '42883']]]);
		// On an empty database migration 001 creates only the two tables without a foreign key (24 x 42P01).
		const onEmpty = get('migration-only').report.steps[0]!.failures.map(failure => failure.code);
		expect([onEmpty.filter(code => code === '42P01').length, onEmpty.filter(code => code === '42601').length, onEmpty.length]).toEqual([24, 2, 26]);
		expect(codes('server-then-setup-db')).toEqual([
			['server-start', false, []],
			['setup-db', false, ['42710', '42601', '42601']],
		]);
		const [, overBase] = get('base-then-setup-enhanced').report.steps;
		expect(overBase!.failures.filter(failure => failure.code === '42703').map(failure => failure.statement)).toEqual([
			...serverIndexes.filter(spec => /last_activity_at|is_dormant|archived_at|retention_policy|processing_time_ms|content_size_bytes/.test(spec.columns)).map(
				spec => expect.stringContaining(`create index if not exists ${spec.name} `),
			),
			'create or replace view session_monitoring_view as',
		]);
	});

	it('hold the rows their history can have', async () => {
		for (const state of databaseStates) {
			const {database, report} = get(state);
			const rows = await withClient(database, async client => {
				if (!(await client.query("select to_regclass('public.sessions') is not null as present")).rows[0].present) return null;
				const {rows} = await client.query(`
					select (select count(*)::int from sessions where session_key like 'legacy-%') as legacy,
					       (select count(*)::int from sessions where session_key like 'srv-%') as server,
					       (select count(*)::int from context_history where context_type = 'user_input') as user_input`);
				const lifecycle = (await client.query("select to_regclass('public.session_lifecycle') is not null as present")).rows[0].present;
				rows[0].expiration_scheduled = lifecycle
					? (await client.query("select count(*)::int as n from session_lifecycle where event_type = 'expiration_scheduled'")).rows[0].n
					: null;
				return rows[0];
			});
			if (!rows) continue;
			const legacy = stateInfo[state].path[0] !== 'server-start';
			expect(rows, state).toEqual({
				legacy: legacy ? 3 : 0,
				server: stateInfo[state].serverHasRun ? 6 : 0,
				user_input: (legacy ? 1 : 0) + (stateInfo[state].serverHasRun ? 1 : 0),
				expiration_scheduled: state === 'base-only' ? null : stateInfo[state].serverHasRun ? 6 : 0,
			});
			// On the schema it has just created, every statement of the server succeeds.
			if (report.server) expect(report.server.failures(), state).toEqual([]);
		}
	});
});

describe("the server's start-up DDL", () => {
	it.each(databaseStates)('on %s starts where the real server starts, and lands where it lands', async state => {
		const {database, fingerprint} = get(state);
		await withClient(database, async client => {
			const first = await tryStartupDdl(client);
			const expectedFailure = stateInfo[state].startupFailure;
			expect(first.ok ? null : first.code).toBe(expectedFailure);
			const target = expectedFailure ? state : (afterStart[state] ?? state);
			const now = await catalogFingerprint(client);
			// A failed start rolls everything back; a successful one gives the target state's catalog.
			expect(now).toBe(target === state ? fingerprint : get(target).fingerprint);
			const second = await tryStartupDdl(client);
			expect(second.ok ? null : second.code).toBe(expectedFailure);
			expect(await catalogFingerprint(client)).toBe(now);
		});
	});

	it('rolls back on an incompatible view (42P16) and on an error half-way', async () => {
		const database = await servers.empty();
		await withClient(database, async client => {
			await client.query('create view session_monitoring_view as select 1 as id');
			await expect(runStartupDdl(client)).rejects.toMatchObject({code: '42P16'});
			const {rows} = await client.query("select to_regclass('public.sessions') as sessions, (select count(*)::int from pg_proc where proname = 'update_last_activity_at') as functions");
			expect(rows[0]).toEqual({sessions: null, functions: 0});
		});
	});

	it("defines the views with the server's columns, in order and type", async () => {
		const rows = await servers.query(
			`select c.relname as view, array_agg(array[a.attname::text, format_type(a.atttypid, a.atttypmod)] order by a.attnum) as columns
			   from pg_attribute a join pg_class c on c.oid = a.attrelid
			  where c.relnamespace = 'public'::regnamespace and c.relkind = 'v' and a.attnum > 0 group by c.relname order by 1`,
			[],
			get('server-fresh').database,
		);
		expect(Object.fromEntries(rows.map(row => [row.view, row.columns]))).toEqual(
			Object.fromEntries(Object.entries(serverViewColumns).map(([view, columns]) => [view, columns.map(column => [...column])])),
		);
	});
});

describe('other paths of the real server', () => {
	it('end in the same twelve states', async () => {
		const results = await Promise.all(
			equivalentPaths.map(async ({path, state}) => {
				const database = await servers.empty();
				const fingerprint = await withClient(database, async client => {
					await buildPath(client, path);
					return catalogFingerprint(client);
				});
				return {path: path.join(' + '), state, same: fingerprint === get(state).fingerprint};
			}),
		);
		expect(results.filter(result => !result.same)).toEqual([]);
	});
});

describe("the server's runtime statements on its own schema", () => {
	let database: string;
	let traffic: ServerRuntime;
	beforeAll(async () => {
		database = await servers.empty();
		traffic = (await withClient(database, client => buildState(client, 'server-fresh', {rows: true}))).server!;
	});

	it('log each lifecycle event both from the trigger and from the application, and expiration_scheduled', async () => {
		const rows = await servers.query(
			`select s.session_key, array_agg(l.event_type::text order by l.event_type) as events
			   from session_lifecycle l join sessions s on s.id = l.session_id group by 1 order by 1`,
			[],
			database,
		);
		expect(Object.fromEntries(rows.map(row => [row.session_key, row.events]))).toEqual({
			'srv-active': ['created', 'expiration_scheduled'],
			'srv-archived': ['archived', 'archived', 'created', 'dormant', 'expiration_scheduled'],
			'srv-dormant': ['created', 'dormant', 'dormant', 'expiration_scheduled'],
			'srv-expired': ['created', 'expiration_scheduled', 'expired', 'status_changed'],
			'srv-handoff': ['created', 'expiration_scheduled', 'status_changed'],
			'srv-reactivated': ['created', 'dormant', 'dormant', 'expiration_scheduled', 'reactivated', 'reactivated'],
		});
		expect(traffic.failures()).toEqual([]);
	});

	it("move last_activity_at on bookkeeping updates, write the server's aggregation types and a bucket twice", async () => {
		const [dormant] = await servers.query("select last_activity_at > now() - interval '1 minute' as moved from sessions where session_key = 'srv-dormant'", [], database);
		expect(dormant!.moved).toBe(true);
		const aggregations = await servers.query('select aggregation_type, count(*)::int as n from analytics_aggregations group by 1 order by 1', [], database);
		expect(aggregations).toEqual([...serverAggregationTypes].sort().map(type => ({aggregation_type: type, n: type === 'hourly_performance' ? 2 : 1})));
		const [handoff] = await servers.query("select count(*)::int as n from performance_logs where operation = 'handoff' and session_id is not null", [], database);
		expect(handoff!.n).toBe(2);
	});

	it("fail the retention DELETE on the legacy foreign key, and fail the server's own two bugs", async () => {
		await withClient(database, async client => {
			const server = new ServerRuntime(client);
			const run = await server.enforceRetention();
			expect(run).toMatchObject({deleted: 0, failures: [{step: 'delete', code: '23503'}]});
			expect(await server.getSessionsByAgent('claude')).toEqual([]);
			const [session] = (await client.query("select id from sessions where session_key = 'srv-active'")).rows;
			await expect(server.storeAnalysisResult(session.id, {filePath: 'a.ts', contentHash: 'f'.repeat(64), summary: 'x'})).rejects.toMatchObject({code: '42601'});
			expect(server.failures().map(record => [record.name, record.error!.code])).toEqual([
				['backgroundJobScheduler.enforceRetentionPolicy: delete', '23503'],
				['contextManager.getSessionsByAgent (server bug)', '42703'],
				['codebaseAnalyzer.storeAnalysisResult (server bug)', '42601'],
			]);
		});
	});
});
