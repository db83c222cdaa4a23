// handoff-top sweep: runs lifecycle_sweep() once, says what it did; the dry
// run changes nothing; refuses a missing or older schema with exit 6.
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {loadMigrations} from '../../source/db/migrations.js';
import {buildBinary, runBinary} from '../commands/binary.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();
let bin: {bin: string; remove(): void};
beforeAll(async () => {
	bin = await buildBinary();
});
afterAll(() => bin?.remove());

const sweep = async (database: string, args: string[] = [], credentials?: {user: string; password: string}) =>
	runBinary(bin.bin, ['sweep', '--dsn', server.url(database, credentials), ...args]);

/** `expiring` sessions past their 24 h, `idle` sessions idle for 3 h, 2 fresh ones. */
async function withDueSessions(expiring: number, idle: number): Promise<string> {
	const database = await server.migrated();
	await server.query(
		`INSERT INTO sessions (session_key, agent_from, created_at, last_activity_at)
		 SELECT 'old-' || i, 'a', now() - interval '2 days', now() - interval '2 days' FROM generate_series(1, $1::int) AS i;
		 INSERT INTO sessions (session_key, agent_from, created_at, last_activity_at)
		 SELECT 'idle-' || i, 'a', now() - interval '5 hours', now() - interval '3 hours' FROM generate_series(1, $2::int) AS i;
		 INSERT INTO sessions (session_key, agent_from) VALUES ('fresh-1', 'a'), ('fresh-2', 'a');`.replaceAll('$1::int', String(expiring)).replaceAll('$2::int', String(idle)),
		[],
		database,
	);
	return database;
}

const state = async (database: string) =>
	server.query(
		`SELECT session_key, status, is_dormant, archived_at, last_activity_at,
		        (SELECT count(*)::int FROM session_lifecycle l WHERE l.session_id = s.id) AS events
		   FROM sessions s ORDER BY session_key`,
		[],
		database,
	);

describe.concurrent('handoff-top sweep', () => {
	it('--dry-run says what it would do and changes nothing', async () => {
		const database = await withDueSessions(2, 1);
		const before = await state(database);
		const run = await sweep(database, ['--dry-run']);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		// what the real sweep does to the same data (the next test): expired two days ago, the two are archived in the same pass
		expect(run.stdout).toMatch(/^sweep dry run \(nothing changed\): 2 would be expired, 1 would be marked dormant, 2 would be archived, 0 would be purged/);
		expect(run.stdout).toMatch(/\n {2}expire {2}old-1 {2}[0-9a-f-]{36} {2}\(standard\)/);
		expect(run.stdout).toMatch(/\n {2}dormant idle-1 /);
		expect(run.stdout).toMatch(/\n {2}archive old-2 /);
		expect(await state(database)).toEqual(before);
	});

	it('sweeps once and prints a summary per action and the sessions it touched', async () => {
		const database = await withDueSessions(2, 1);
		const run = await sweep(database);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		// Expired long enough ago, the two are archived in the same pass.
		expect(run.stdout).toMatch(/^sweep: 2 expired, 1 marked dormant, 2 archived, 0 purged \(\d+ ms\)\n/);
		expect(run.stdout).toMatch(/\n {2}archive old-1 /);
		const after = await state(database);
		expect(after.filter(row => row.status === 'expired').map(row => row.session_key)).toEqual(['old-1', 'old-2']);
		expect(after.filter(row => row.archived_at !== null).map(row => row.session_key)).toEqual(['old-1', 'old-2']);
		expect(after.filter(row => row.is_dormant).map(row => row.session_key)).toEqual(['idle-1']);
		const again = await sweep(database);
		expect(again.stdout).toMatch(/^sweep: 0 expired, 0 marked dormant, 0 archived, 0 purged/);
	});

	it('brings the latency rollups up to date too (the performance screen reads them)', async () => {
		const database = await withDueSessions(0, 0);
		await server.query(`INSERT INTO performance_logs (operation, duration_ms, created_at)
			SELECT 'register_session', g, now() - interval '30 minutes' FROM generate_series(1, 50) g`, [], database);
		const run = await sweep(database);
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/\n {2}latency rollups refreshed up to \S+/);
		const [rolled] = await server.query(
			`SELECT sum(calls)::int AS calls FROM performance_rollup WHERE resolution_s = 60 AND operation = 'register_session'`, [], database);
		expect(rolled.calls).toBe(50);
		const dry = await sweep(database, ['--dry-run']);
		expect(dry.stdout).not.toMatch(/rollups/);
	});

	it('--json prints one document with counts and every session; the text list is bounded', async () => {
		const database = await withDueSessions(25, 0);
		const json = await sweep(database, ['--json', '--dry-run']);
		expect(json.code).toBe(0);
		const document = JSON.parse(json.stdout);
		expect(document).toMatchObject({dryRun: true, counts: {expire: 25, dormant: 0, archive: 25, purge: 0}});
		expect(document.sessions).toHaveLength(50);
		expect(document.sessions[0]).toMatchObject({action: 'expire', retentionPolicy: 'standard', detail: {old_status: 'active'}});
		const text = await sweep(database, ['--dry-run']);
		expect(text.stdout.split('\n').filter(line => line.startsWith('  expire '))).toHaveLength(20);
		expect(text.stdout).toContain('  ... and 30 more (--json lists them all)');
	});

	// five runs of the binary: more than the default 30 s on a loaded machine
	it('removes the logs past their retention in batches and says how many rows each table lost; --dry-run counts them first', {timeout: 120_000}, async () => {
		const database = await withDueSessions(0, 0);
		await server.query(
			`INSERT INTO performance_logs (operation, duration_ms, created_at)
			   SELECT 'op', g, now() - interval '31 days' - make_interval(secs => g) FROM generate_series(1, 1200) g;
			 INSERT INTO performance_logs (operation, duration_ms, created_at) SELECT 'op', 1, now() - interval '29 days';
			 INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at)
			   SELECT 'm', 1, 'gauge', now() - interval '30 days 1 minute' FROM generate_series(1, 30);
			 INSERT INTO session_purge_audit (session_id, session_key, purged_at, deleted_rows, lifecycle_events, session_row)
			   VALUES (gen_random_uuid(), 'gone', now() - interval '366 days', '{}', '[]', '{}');`,
			[],
			database,
		);
		const dry = await sweep(database, ['--dry-run']);
		expect(dry.code).toBe(0);
		expect(dry.stdout).toContain('\n  log retention: rows that would be removed\n');
		// the rollups are not refreshed yet: the dry run counts as after the sweep's refresh
		expect(dry.stdout).toMatch(/\n {4}performance_logs +1,200 {2}older than 30 days\n/);
		expect(dry.stdout).toMatch(/\n {4}system_metrics +30 {2}older than 30 days\n/);
		expect(dry.stdout).toMatch(/\n {4}session_purge_audit +1 {2}older than 365 days\n/);
		const counted = await server.query(`SELECT (SELECT count(*)::int FROM performance_logs) AS logs, (SELECT count(*)::int FROM system_metrics) AS metrics`, [], database);
		expect(counted).toEqual([{logs: 1201, metrics: 30}]);

		const run = await sweep(database, ['--batch', '500', '--json']);
		expect(run.code).toBe(0);
		const {retention} = JSON.parse(run.stdout);
		expect(retention).toMatchObject({batchRows: 500, batchTimeoutMs: 2000, retriedSmaller: 0});
		const removed = Object.fromEntries(retention.tables.map((t: {table: string; name: string; removed: number}) => [`${t.name}/${t.table}`, t.removed]));
		expect(removed).toMatchObject({'performance_logs/performance_logs': 1200, 'system_metrics/system_metrics': 30, 'session_purge_audit/session_purge_audit': 1});
		// 1,200 rows in batches of 500: 500, 500, 200 and one that finds none for performance_logs, one batch for each other period
		expect(retention.batches).toBeGreaterThanOrEqual(4 + 6);
		const left = await server.query(`SELECT (SELECT count(*)::int FROM performance_logs) AS logs, (SELECT count(*)::int FROM system_metrics) AS metrics`, [], database);
		expect(left).toEqual([{logs: 1, metrics: 0}]);
		const text = await sweep(database);
		expect(text.stdout).toMatch(/\n {2}log retention: 0 rows removed in \d+ batches \(each its own transaction, at most 5,000 rows a table, 2000 ms\)\n/);
		expect(text.stdout).toMatch(/\n {4}performance_rollup \(1m\) +0 {2}older than 35 days\n/);
		const bad = await sweep(database, ['--batch', '0']);
		expect(bad.stderr).toBe('handoff-top: --batch needs a whole number of at least 1\n');
		expect(bad.code).toBe(2);
	});

	it('--limit bounds each action; a bad --limit is a usage error', async () => {
		const database = await withDueSessions(5, 0);
		const run = await sweep(database, ['--limit', '3', '--json']);
		expect(JSON.parse(run.stdout).counts.expire).toBe(3);
		const bad = await sweep(database, ['--limit', '0']);
		expect(bad.stderr).toBe('handoff-top: --limit needs a whole number of at least 1\n');
		expect(bad.code).toBe(2);
	});

	it('as the read-only monitor role: the dry run works, the sweep fails with exit 7 and says why', async () => {
		const database = await withDueSessions(1, 0);
		const role = await server.role('pw');
		server.track('role', role);
		const setup = await runBinary(bin.bin, ['setup', '--dsn', server.url(database), '--create-monitor-role', role]);
		expect(setup.code).toBe(0);
		const credentials = {user: role, password: 'pw'};
		const dry = await sweep(database, ['--dry-run'], credentials);
		expect(dry.code).toBe(0);
		// the monitor role may not read the purge audit: said, not failed
		expect(dry.stdout).toMatch(/\n {4}session_purge_audit +cannot read {2}older than 365 days\n/);
		const run = await sweep(database, [], credentials);
		expect(run.stdout).toBe('');
		expect(run.stderr).toMatch(/^handoff-top: (sweeping: the connection is read-only|permission denied while sweeping): .*\n$/);
		expect(run.code).toBe(7);
	});

	it('refuses a database without the handoff schema: exit 6, names `handoff-top setup`', async () => {
		const run = await sweep(await server.empty());
		expect(run.stderr).toBe('handoff-top: no handoff schema in this database: run `handoff-top setup` (new installation; `handoff-top migrate` for an existing handoff database)\n');
		expect(run.code).toBe(6);
	});

	it('refuses an older schema: exit 6, names the missing migrations and `handoff-top migrate`', async () => {
		const migrations = loadMigrations();
		const run = await sweep(await server.migrated(migrations.length - 2));
		expect(run.stderr).toBe(
			`handoff-top: the handoff schema is older than this handoff-top (not applied: ${migrations
				.slice(-2)
				.map(m => m.file)
				.join(', ')}): run \`handoff-top migrate\`\n`,
		);
		expect(run.code).toBe(6);
	});

	it('refuses a schema without migration history: exit 6, names `handoff-top migrate`', async () => {
		const database = await server.migrated();
		await server.query('DROP TABLE handoff_top_migrations', [], database);
		const run = await sweep(database);
		expect(run.stderr).toMatch(/^handoff-top: the handoff schema has no migration history: run `handoff-top migrate`/);
		expect(run.code).toBe(6);
	});
});
