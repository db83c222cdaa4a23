// validate, run as the user runs it, on a good schema and after each kind of
// drift: exit 0 when it matches, 4 with the difference named, 5 when it
// cannot check.
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {migrationsDir} from '../../source/db/migrations.js';
import {validateDatabase} from '../../source/db/validation/validate.js';
import {buildBinary, runBinary} from '../commands/binary.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();
let bin: {bin: string; remove(): void};
beforeAll(async () => {
	bin = await buildBinary();
});
afterAll(() => bin?.remove());

type Report = {
	ok: boolean;
	differences: Array<{kind: string; objectType: string; name: string; severity: string; expected: any; actual: any}>;
};

async function validate(database: string, env: NodeJS.ProcessEnv = {}, credentials?: {user: string; password: string}) {
	const run = await runBinary(bin.bin, ['validate', '--json', '--dsn', server.url(database, credentials)], env);
	return {...run, report: run.stdout ? (JSON.parse(run.stdout) as Report) : undefined};
}

async function drifted(sql: string): Promise<string> {
	const database = await server.migrated();
	await server.query(sql, [], database);
	return database;
}

describe.concurrent('handoff-top validate', () => {
	it('exits 0 on the schema the migrations make, in text and in JSON', async () => {
		const database = await server.migrated();
		const text = await runBinary(bin.bin, ['validate', '--dsn', server.url(database)]);
		expect(text.stderr).toBe('');
		expect(text.stdout).toMatch(/ok: the schema matches/);
		expect(text.code).toBe(0);
		const json = await validate(database);
		expect(json.code).toBe(0);
		expect(json.report).toMatchObject({ok: true, differences: []});
	});

	it.each([
		{
			drift: 'a dropped index',
			sql: 'DROP INDEX idx_sessions_last_activity_at',
			expect: {kind: 'missing', objectType: 'index', name: 'idx_sessions_last_activity_at'},
		},
		{
			drift: 'a changed column type',
			sql: 'ALTER TABLE handoff_requests ALTER COLUMN target_agent TYPE text',
			expect: {
				kind: 'changed',
				objectType: 'column',
				name: 'handoff_requests.target_agent',
				expected: {type: 'character varying(100)'},
				actual: {type: 'text'},
			},
		},
		{
			drift: 'a dropped trigger',
			sql: 'DROP TRIGGER log_session_lifecycle ON sessions',
			expect: {kind: 'missing', objectType: 'trigger', name: 'sessions.log_session_lifecycle'},
		},
		{
			drift: 'a view replaced by a different one with the same columns',
			sql: `CREATE OR REPLACE VIEW handoff_top_performance_view AS
				SELECT operation, count(*) AS total_calls, count(*) AS successful_calls, 0::bigint AS failed_calls,
				       100.00::numeric AS success_rate_percent, round(avg(duration_ms), 2) AS avg_duration_ms,
				       min(duration_ms) AS min_duration_ms, max(duration_ms) AS max_duration_ms,
				       0.00::numeric AS p95_duration_ms, min(created_at) AS first_call_at, max(created_at) AS last_call_at
				FROM performance_logs GROUP BY operation`,
			expect: {kind: 'changed', objectType: 'view', name: 'handoff_top_performance_view'},
		},
		{
			drift: 'a view replaced by one with other columns',
			sql: 'DROP VIEW handoff_top_session_view; CREATE VIEW handoff_top_session_view AS SELECT id, session_key FROM sessions',
			expect: {kind: 'missing', objectType: 'column', name: 'handoff_top_session_view.hours_since_activity'},
		},
		{
			drift: 'a dropped function',
			sql: 'DROP FUNCTION refresh_analytics_aggregations(timestamptz, interval)',
			expect: {kind: 'missing', objectType: 'function'},
		},
	])('finds $drift', async ({sql, expect: difference}) => {
		// In process (the binary's exit codes and output are covered around this).
		const database = await drifted(sql);
		const result = await server.withClient(database, async client => validateDatabase(client));
		expect(result.ok).toBe(false);
		expect(result.differences).toContainEqual(expect.objectContaining(difference));
	});

	it('exits 4 on drift and names it', async () => {
		const database = await drifted('DROP INDEX idx_sessions_last_activity_at');
		const {code, report, stderr} = await validate(database);
		expect(stderr).toBe('');
		expect(code).toBe(4);
		expect(report?.ok).toBe(false);
		expect(report?.differences).toEqual([
			expect.objectContaining({kind: 'missing', objectType: 'index', name: 'idx_sessions_last_activity_at', severity: 'error'}),
		]);
	});

	it('exits 4 and names each of several drifts at once', async () => {
		const database = await drifted(`
			ALTER TABLE context_history DISABLE TRIGGER session_child_write;
			CREATE OR REPLACE FUNCTION lifecycle_wake_listeners(p_event_id uuid, p_session_id uuid, p_event_type text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
			ALTER TABLE sessions DROP CONSTRAINT sessions_retention_policy_fkey;
			DELETE FROM lifecycle_notify_gate;
			CREATE INDEX idx_extra ON sessions (agent_from);
			DELETE FROM handoff_top_migrations WHERE version = 4;`);
		const {code, report} = await validate(database);
		expect(code).toBe(4);
		for (const difference of [
			{kind: 'changed', objectType: 'trigger', name: 'context_history.session_child_write', expected: {enabled: 'enabled'}, actual: {enabled: 'disabled'}},
			{kind: 'changed', objectType: 'function', name: 'lifecycle_wake_listeners(p_event_id uuid, p_session_id uuid, p_event_type text)'},
			{kind: 'missing', objectType: 'constraint', name: 'sessions.sessions_retention_policy_fkey'},
			{kind: 'changed', objectType: 'notification', expected: {row: true, channel: 'handoff_lifecycle'}, actual: {row: false, channel: null}},
			{kind: 'extra', objectType: 'index', name: 'idx_extra', severity: 'warning'},
			{kind: 'missing', objectType: 'migration', name: '004_analytics.sql'},
		]) {
			expect(report?.differences).toContainEqual(expect.objectContaining(difference));
		}
	});

	it('reports a dropped table once, not again for each column, index and trigger', async () => {
		const database = await drifted('DROP TABLE system_metrics');
		const {report} = await validate(database);
		expect(report?.differences).toEqual([expect.objectContaining({kind: 'missing', objectType: 'table', name: 'system_metrics'})]);
	});

	it('prints differences grouped by severity, with expected and actual', async () => {
		const database = await drifted('ALTER TABLE handoff_requests ALTER COLUMN target_agent TYPE text; CREATE INDEX idx_extra ON sessions (agent_from)');
		const {stdout, code} = await runBinary(bin.bin, ['validate', '--dsn', server.url(database)]);
		expect(code).toBe(4);
		expect(stdout).toMatch(/drift: 1 error, 1 warning/);
		expect(stdout).toMatch(/errors[^\n]*\n {2}changed column handoff_requests\.target_agent\n\s+type: expected character varying\(100\)\n\s+actual {3}text/);
		expect(stdout).toMatch(/warnings[^\n]*\n {2}extra index idx_extra\n\s+actual: CREATE INDEX idx_extra ON sessions USING btree \(agent_from\)/);
	});

	it('leaves unrelated tables in the schema as info, not drift', async () => {
		const database = await drifted('CREATE TABLE app_settings (k text PRIMARY KEY, v text)');
		const {code, report} = await validate(database);
		expect(code).toBe(0);
		expect(report?.differences).toEqual([expect.objectContaining({kind: 'extra', objectType: 'table', name: 'app_settings', severity: 'info'})]);
	});

	describe('with an edited migration file', () => {
		let dir: string;
		beforeAll(() => {
			dir = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-migrations-'));
			cpSync(migrationsDir(), dir, {recursive: true});
			const file = path.join(dir, '002_lifecycle_engine.sql');
			writeFileSync(file, readFileSync(file, 'utf8').replace("'2 hours'", "'3 hours'"));
		});
		afterAll(() => rmSync(dir, {recursive: true, force: true}));

		it('exits 4: the file differs from the applied checksum and from the expected schema', async () => {
			const database = await server.migrated();
			const {code, report} = await validate(database, {HANDOFF_TOP_MIGRATIONS_DIR: dir});
			expect(code).toBe(4);
			expect(report?.differences).toContainEqual(
				expect.objectContaining({kind: 'changed', objectType: 'migration', name: '002_lifecycle_engine.sql'}),
			);
			expect(report?.differences).toContainEqual(
				expect.objectContaining({kind: 'changed', objectType: 'bundle', name: '002_lifecycle_engine.sql'}),
			);
		});
	});

	it('exits 5 when it cannot check (the migration files cannot be read)', async () => {
		const database = await server.migrated();
		const {code, stderr, stdout} = await runBinary(bin.bin, ['validate', '--dsn', server.url(database)], {
			HANDOFF_TOP_MIGRATIONS_DIR: path.join(os.tmpdir(), 'handoff-top-no-such-dir'),
		});
		expect(stdout).toBe('');
		expect(stderr).toMatch(/^handoff-top: could not check: cannot read the migration files: .*no such file or directory.*\n$/);
		expect(code).toBe(5);
	});

	it('works as a least-privilege role (catalog reads, not information_schema)', async () => {
		const database = await server.migrated();
		const role = await server.role('monitor-pw');
		await server.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
		await server.query(`GRANT SELECT ON handoff_top_migrations TO ${role}`, [], database);
		const {code, report, stderr} = await validate(database, {}, {user: role, password: 'monitor-pw'});
		expect(stderr).toBe('');
		expect(code).toBe(0);
		expect(report?.differences).toEqual([]);
		// It did see the tables it cannot read: drift there is still found.
		await server.query('DROP INDEX idx_context_history_created_at', [], database);
		const after = await validate(database, {}, {user: role, password: 'monitor-pw'});
		expect(after.code).toBe(4);
		expect(after.report?.differences).toContainEqual(expect.objectContaining({kind: 'missing', name: 'idx_context_history_created_at'}));
	});
});
