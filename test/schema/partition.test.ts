// handoff-top partition: performance_logs and system_metrics become
// range-partitioned by created_at / recorded_at without losing or changing a
// row; the app's writes (no partition named, id from its default, the
// server's own INSERT INTO system_metrics), the FK's ON DELETE SET NULL, the
// monitor's Performance table and the rollup refresh work as before, and the
// monitor role still reads both; validate passes, also after the handoff
// server's start-up DDL; --dry-run changes nothing; the sweep (handoff-top
// sweep and CALL log_retention_sweep()) drops partitions entirely past the
// retention and creates the next days'; bad input is one line and exit 2.
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ensureMonitorRole} from '../../source/db/monitorRole.js';
import {validateDatabase} from '../../source/db/validation/validate.js';
import {performanceTable} from '../../source/queries/performance.js';
import {storagePanel} from '../../source/queries/storage.js';
import {buildBinary, runBinary} from '../commands/binary.js';
import {convertedDaysAgo as convertedAgo} from '../helpers/partitions.js';
import {runStartupDdl} from '../helpers/realServer/startupDdl.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();
let bin: {bin: string; remove(): void};
beforeAll(async () => {
	bin = await buildBinary();
});
afterAll(() => bin?.remove());

const partition = async (database: string, args: string[] = []) => runBinary(bin.bin, ['partition', '--dsn', server.url(database), ...args]);
const sweep = async (database: string, args: string[] = []) => runBinary(bin.bin, ['sweep', '--dsn', server.url(database), ...args]);

/** 3 sessions, and `rows` performance_logs rows from 9 days to 1 hour before `base`, deterministic. */
async function populated(base: Date, rows = 6000): Promise<string> {
	const database = await server.migrated();
	await server.query(
		`INSERT INTO sessions (id, session_key, agent_from) VALUES ('00000000-0000-0000-0000-000000000001', 's1', 'a'),
		   ('00000000-0000-0000-0000-000000000002', 's2', 'a'), ('00000000-0000-0000-0000-000000000003', 's3', 'a')`,
		[],
		database,
	);
	await server.query(
		`INSERT INTO performance_logs (id, operation, duration_ms, success, session_id, metadata, created_at)
		 SELECT md5('row' || g)::uuid, 'op' || (g % 4), (g * 37) % 900, g % 11 <> 0,
		        CASE WHEN g % 3 = 0 THEN NULL ELSE ('00000000-0000-0000-0000-00000000000' || (1 + g % 3))::uuid END,
		        jsonb_build_object('g', g), $1::timestamptz - interval '1 hour' - make_interval(secs => (g::bigint * 8 * 86400 / ${rows})::double precision)
		   FROM generate_series(1, ${rows}) g`,
		[base],
		database,
	);
	await server.query(
		`INSERT INTO system_metrics (id, metric_name, metric_value, metric_type, labels, recorded_at)
		 SELECT md5('metric' || g)::uuid, 'metric_' || (g % 5), g * 0.5, (ARRAY['counter', 'gauge', 'histogram'])[1 + g % 3],
		        jsonb_build_object('g', g % 7), $1::timestamptz - interval '1 hour' - make_interval(secs => (g::bigint * 8 * 86400 / ${rows})::double precision)
		   FROM generate_series(1, ${rows}) g`,
		[base],
		database,
	);
	return database;
}

const fingerprint = async (database: string) =>
	(
		await server.query(
			`SELECT count(*)::int AS n,
			        md5(string_agg(id::text || operation || duration_ms || success || coalesce(session_id::text, '-') || metadata::text || created_at::text, ',' ORDER BY id)) AS sum
			   FROM performance_logs`,
			[],
			database,
		)
	)[0];
const metricsFingerprint = async (database: string) =>
	(
		await server.query(
			`SELECT count(*)::int AS n,
			        md5(string_agg(id::text || metric_name || metric_value || metric_type || labels::text || recorded_at::text, ',' ORDER BY id)) AS sum
			   FROM system_metrics`,
			[],
			database,
		)
	)[0];
const kind = async (database: string, table = 'performance_logs') => (await server.query(`SELECT relkind::text AS k FROM pg_class WHERE oid = $1::regclass`, [table], database))[0].k;
const partitionsOf = async (database: string, table: string) =>
	(await server.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`, [table], database)).map(
		p => p.relname as string,
	);
const rollups = async (database: string) =>
	server.query(`SELECT resolution_s, bucket_start, operation, calls, p95_ms, failures, sum_ms, min_ms, max_ms FROM performance_rollup ORDER BY 1, 2, 3`, [], database);
const convertedDaysAgo = async (database: string, table: string, column: string) => convertedAgo(async text => server.query(text, [], database), table, column);
const validate = async (database: string) => server.withClient(database, async client => validateDatabase(client));

// six conversions of two populated tables at once: on a loaded 2-core machine a test takes up to a minute
describe.concurrent('handoff-top partition', {timeout: 120_000}, () => {
	it('--dry-run prints the plan and its locks for both tables and changes nothing', async () => {
		const database = await populated(new Date());
		const before = [await fingerprint(database), await metricsFingerprint(database)];
		const run = await partition(database, ['--dry-run']);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/^partition dry run \(nothing changed\): performance_logs, 6,000 rows, by created_at/);
		expect(run.stdout).toMatch(/lock: ACCESS EXCLUSIVE on performance_logs, catalog work only/);
		expect(run.stdout).toMatch(/VALIDATE CONSTRAINT performance_logs_legacy_bound[^\n]*\n\s+lock: SHARE UPDATE EXCLUSIVE/);
		expect(run.stdout).toMatch(/\npartition dry run \(nothing changed\): system_metrics, 6,000 rows, by recorded_at/);
		expect(run.stdout).toMatch(/CREATE UNIQUE INDEX CONCURRENTLY system_metrics_legacy_id_recorded_at ON system_metrics \(id, recorded_at\)/);
		expect(run.stdout).toMatch(/lock: ACCESS EXCLUSIVE on system_metrics, catalog work only/);
		const json = await partition(database, ['system_metrics', '--dry-run', '--json', '--ahead', '2']);
		expect(json.code).toBe(0);
		const document = JSON.parse(json.stdout) as {dryRun: boolean; tables: Array<{table: string; rows: number; ahead: number; bound: string; plan: Array<{step: string; lock: string}>}>};
		expect(document.dryRun).toBe(true);
		expect(document.tables).toHaveLength(1);
		const [metrics] = document.tables;
		expect(metrics).toMatchObject({table: 'system_metrics', column: 'recorded_at', rows: 6000, ahead: 2});
		expect(new Date(metrics!.bound).getTime()).toBeGreaterThan(Date.now() + 86_400_000);
		expect(metrics!.plan).toHaveLength(4);
		const first = metrics!.bound.slice(0, 10);
		const second = new Date(new Date(metrics!.bound).getTime() + 86_400_000).toISOString().slice(0, 10);
		expect(metrics!.plan[3]!.step).toContain(`daily partitions ${first} to ${second}`);
		expect(await kind(database)).toBe('r');
		expect(await kind(database, 'system_metrics')).toBe('r');
		expect([await fingerprint(database), await metricsFingerprint(database)]).toEqual(before);
		expect(await server.query(`SELECT conname FROM pg_constraint WHERE conname LIKE '%legacy%'`, [], database)).toEqual([]);
		expect(await server.query(`SELECT 1 FROM pg_class WHERE relname LIKE '%legacy_id_%'`, [], database)).toEqual([]);
	});

	it('keeps every row, the writes, the FK, the Performance table, the rollups and the monitor role; validate passes, also after the server starts', async () => {
		const base = new Date();
		const [database, twin] = await Promise.all([populated(base), populated(base)]);
		const before = await fingerprint(database);
		const metricsBefore = await metricsFingerprint(database);
		expect(before.n).toBe(6000);
		expect(metricsBefore.n).toBe(6000);
		// a monitor role made before the conversion reads both tables after it (their privileges carry over)
		const monitor = await server.role('pw');
		await server.withClient(database, async client => ensureMonitorRole(client, {role: monitor, password: 'pw', database, schema: 'public'}));
		const run = await partition(database);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(
			/^partition: performance_logs is partitioned by created_at: its 6,000 rows are the partition performance_logs_legacy .* ACCESS EXCLUSIVE held \d+ ms \(the swap\)\npartition: system_metrics is partitioned by recorded_at: its 6,000 rows are the partition system_metrics_legacy .* ACCESS EXCLUSIVE held \d+ ms \(the swap\)\n$/,
		);
		expect(await kind(database)).toBe('p');
		expect(await kind(database, 'system_metrics')).toBe('p');
		expect(await fingerprint(database)).toEqual(before);
		expect(await metricsFingerprint(database)).toEqual(metricsBefore);
		for (const table of ['performance_logs', 'system_metrics']) {
			const parts = await partitionsOf(database, table);
			expect(parts).toEqual(expect.arrayContaining([`${table}_default`, `${table}_legacy`]));
			expect(parts.filter(p => new RegExp(`^${table}_p\\d{8}$`).test(p))).toHaveLength(3);
		}

		expect(
			await server.withClient(
				database,
				async client => (await client.query(`SELECT (SELECT count(*)::int FROM performance_logs) AS logs, (SELECT count(*)::int FROM system_metrics) AS metrics`)).rows,
				{user: monitor, password: 'pw'},
			),
		).toEqual([{logs: 6000, metrics: 6000}]);

		// the monitor's Performance table and the rollup refresh give the same answers as on the unpartitioned twin
		const refresh = `SELECT * FROM refresh_performance_rollups()`;
		await server.query(refresh, [], database);
		await server.query(refresh, [], twin);
		expect(await rollups(database)).toEqual(await rollups(twin));
		expect((await rollups(database)).length).toBeGreaterThan(0);
		const table = async (name: string) => server.withClient(name, async client => performanceTable(client, {threshold: 95}));
		expect(await table(database)).toEqual(await table(twin));

		// the server's insert: no partition named, id from its default; a row dated later goes to its day
		const written = await server.query(
			`INSERT INTO performance_logs (operation, duration_ms, success, session_id) VALUES ('write', 5, true, '00000000-0000-0000-0000-000000000001'),
			        ('later', 1, true, NULL) RETURNING id, tableoid::regclass::text AS part`,
			[],
			database,
		);
		expect(written).toHaveLength(2);
		await server.query(`INSERT INTO performance_logs (operation, duration_ms, created_at) VALUES ('ahead', 1, now() + interval '2 days 1 hour'), ('far', 1, now() + interval '40 days')`, [], database);
		const placed = await server.query(`SELECT operation, tableoid::regclass::text AS part FROM performance_logs WHERE operation IN ('write', 'ahead', 'far') ORDER BY 1`, [], database);
		expect(placed).toEqual([
			{operation: 'ahead', part: expect.stringMatching(/^performance_logs_p\d{8}$/)},
			{operation: 'far', part: 'performance_logs_default'},
			{operation: 'write', part: 'performance_logs_legacy'},
		]);
		// 010's FK: a purged session's rows stay, detached
		await server.query(`DELETE FROM sessions WHERE session_key = 's1'`, [], database);
		expect((await server.query(`SELECT count(*)::int AS n FROM performance_logs WHERE session_id = '00000000-0000-0000-0000-000000000001'`, [], database))[0].n).toBe(0);
		expect((await fingerprint(database)).n).toBe(6004);

		// the Storage panel: the partitioned table's size and rows are its partitions', which are not listed apart
		const storage = await server.withClient(database, async client => storagePanel(client));
		const logs = storage.tables.find(t => t.table === 'performance_logs');
		expect(logs?.tableBytes).toBeGreaterThan(6000 * 50);
		expect(logs?.totalBytes).toBeGreaterThan(logs!.tableBytes);
		expect(storage.tables.filter(t => t.table.startsWith('performance_logs_'))).toEqual([]);

		// the handoff server's own insert (monitoringService.ts), no partition named; a row dated later goes to its day
		const serverInsert = 'INSERT INTO system_metrics (metric_name, metric_value, metric_type, labels) VALUES ($1, $2, $3, $4)';
		await server.withClient(database, async client => client.query(serverInsert, ['handoff_requests_total', 3, 'counter', {tool: 'register'}]));
		await server.query(`INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at) VALUES ('ahead', 1, 'gauge', now() + interval '2 days 1 hour')`, [], database);
		expect(
			await server.query(`SELECT metric_name, tableoid::regclass::text AS part FROM system_metrics WHERE metric_name IN ('handoff_requests_total', 'ahead') ORDER BY 1`, [], database),
		).toEqual([
			{metric_name: 'ahead', part: expect.stringMatching(/^system_metrics_p\d{8}$/)},
			{metric_name: 'handoff_requests_total', part: 'system_metrics_legacy'},
		]);

		const checked = await validate(database);
		expect(checked.differences.filter(d => d.severity !== 'info')).toEqual([]);
		expect(checked.ok).toBe(true);
		expect(checked.differences.find(d => d.objectType === 'table' && d.name === 'performance_logs')?.hint).toMatch(/^partitioned by handoff-top partition/);
		expect(checked.differences.find(d => d.objectType === 'table' && d.name === 'system_metrics')?.hint).toBe(
			'partitioned by handoff-top partition (system_metrics by recorded_at, daily partitions)',
		);
		// the server's start-up DDL (CREATE TABLE / CREATE INDEX IF NOT EXISTS on both tables) runs on the
		// partitioned tables, and its inserts go on working after it
		await server.withClient(database, async client => runStartupDdl(client));
		await server.withClient(database, async client => runStartupDdl(client));
		await server.withClient(database, async client => client.query(serverInsert, ['handoff_requests_total', 4, 'counter', {tool: 'update'}]));
		await server.query(`INSERT INTO performance_logs (operation, duration_ms, success) VALUES ('after-start', 2, true)`, [], database);
		expect((await metricsFingerprint(database)).n).toBe(6003);
		expect((await fingerprint(database)).n).toBe(6005);
		const afterStart = await validate(database);
		expect(afterStart.differences.filter(d => d.severity !== 'info')).toEqual([]);

		// only the partitioned shape is info: an index missing from the partitioned table is still drift
		await server.query(`DROP INDEX idx_performance_logs_operation`, [], database);
		const dropped = await validate(database);
		expect(dropped.ok).toBe(false);
		expect(dropped.differences.filter(d => d.severity === 'error').map(d => `${d.kind} ${d.name}`)).toEqual(['missing idx_performance_logs_operation']);

		const again = await partition(database);
		expect(again.code).toBe(0);
		expect(again.stdout).toBe(
			'partition: performance_logs is already partitioned by created_at; nothing to do\npartition: system_metrics is already partitioned by recorded_at; nothing to do\n',
		);
	});

	it('a writer inserting all through the conversion never fails and loses no row', async () => {
		const database = await populated(new Date(), 20_000);
		let stop = false;
		let written = 0;
		const errors: string[] = [];
		const writer = server.withClient(database, async client => {
			while (!stop) {
				try {
					await client.query(`INSERT INTO performance_logs (operation, duration_ms, success) VALUES ('during', 1, true)`);
					await client.query(`INSERT INTO system_metrics (metric_name, metric_value, metric_type, labels) VALUES ('during', 1, 'counter', '{}')`);
					written++;
				} catch (error) {
					errors.push((error as Error).message);
				}
			}
		});
		try {
			const run = await partition(database);
			expect(run.stderr).toBe('');
			expect(run.code).toBe(0);
		} finally {
			stop = true;
			await writer;
		}

		expect(errors).toEqual([]);
		expect(written).toBeGreaterThan(0);
		expect(await kind(database)).toBe('p');
		expect(await kind(database, 'system_metrics')).toBe('p');
		expect((await server.query(`SELECT count(*)::int AS n FROM performance_logs WHERE operation = 'during'`, [], database))[0].n).toBe(written);
		expect((await fingerprint(database)).n).toBe(20_000 + written);
		// a writer cut between its two inserts wrote one more metric at most
		expect((await metricsFingerprint(database)).n - 20_000 - written).toBeGreaterThanOrEqual(0);
		expect((await metricsFingerprint(database)).n - 20_000 - written).toBeLessThanOrEqual(1);
	});

	it('the sweep drops the partitions entirely past the retention, keeps the rest, and creates the next days', async () => {
		const database = await populated(new Date(), 2000);
		expect((await partition(database)).code).toBe(0);
		await convertedDaysAgo(database, 'performance_logs', 'created_at');
		await convertedDaysAgo(database, 'system_metrics', 'recorded_at');
		await server.query(
			`INSERT INTO performance_logs (operation, duration_ms, created_at) VALUES ('two-days', 1, now() - interval '2 days'), ('now', 1, now() - interval '2 hours');
			 INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at) VALUES ('two-days', 1, 'gauge', now() - interval '2 days'), ('now', 1, 'gauge', now() - interval '2 hours');
			 UPDATE log_retention SET keep_for = interval '1 day' WHERE name IN ('performance_logs', 'system_metrics')`,
			[],
			database,
		);
		const legacyRows = (await server.query(`SELECT count(*)::int AS n FROM performance_logs_legacy`, [], database))[0].n;
		expect(legacyRows).toBeGreaterThan(0);
		expect((await server.query(`SELECT count(*)::int AS n FROM system_metrics_legacy`, [], database))[0].n).toBeGreaterThan(0);

		// before the rollups have read anything, no performance_logs partition goes; system_metrics is not held
		const dry = await sweep(database, ['--dry-run']);
		expect(dry.code).toBe(0);
		expect(dry.stdout).toMatch(/performance_logs partitions that would be dropped \(none: nothing is rolled up yet\): none/);
		expect(dry.stdout).toMatch(/system_metrics partitions that would be dropped \(entirely older than [^)]+\): system_metrics_legacy\n/);

		// after a refresh, the dry run names what the sweep drops and creates, and changes nothing
		await server.query(`SELECT * FROM refresh_performance_rollups()`, [], database);
		const before = [await partitionsOf(database, 'performance_logs'), await partitionsOf(database, 'system_metrics')];
		type Sweep = {partitions: Record<string, {dropped: Array<{partition: string}>; created: string[]; skipped: Array<{partition: string}>}>};
		const planned = JSON.parse((await sweep(database, ['--dry-run', '--json'])).stdout) as Sweep;
		expect(Object.keys(planned.partitions)).toEqual(['performance_logs', 'system_metrics']);
		for (const table of ['performance_logs', 'system_metrics']) {
			expect(planned.partitions[table]!.dropped.map(d => d.partition)).toEqual([`${table}_legacy`]);
			expect(planned.partitions[table]!.created).toHaveLength(2);
		}

		expect([await partitionsOf(database, 'performance_logs'), await partitionsOf(database, 'system_metrics')]).toEqual(before);

		const run = await sweep(database, ['--json']);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		const out = JSON.parse(run.stdout) as Sweep;
		for (const table of ['performance_logs', 'system_metrics']) {
			const done = out.partitions[table]!;
			expect(done.dropped.map(d => d.partition)).toEqual([`${table}_legacy`]);
			// today and tomorrow (the day after is the conversion's first daily partition); today's default rows stay where they are
			expect(done.created.length + done.skipped.length).toBe(2);
			expect(done.created).toEqual(planned.partitions[table]!.created.filter(name => !done.skipped.some(s => s.partition === name)));
			expect(await server.query(`SELECT to_regclass($1) IS NULL AS gone`, [`${table}_legacy`], database)).toEqual([{gone: true}]);
		}

		// the row 2 days old (past 1 day) went by the row batches; the recent one stays
		expect(await server.query(`SELECT operation FROM performance_logs ORDER BY 1`, [], database)).toEqual([{operation: 'now'}]);
		expect(await server.query(`SELECT metric_name FROM system_metrics ORDER BY 1`, [], database)).toEqual([{metric_name: 'now'}]);
		// the rollups kept the dropped days
		expect((await server.query(`SELECT sum(calls)::int AS n FROM performance_rollup WHERE resolution_s = 60`, [], database))[0].n).toBeGreaterThanOrEqual(legacyRows);

		const next = JSON.parse((await sweep(database, ['--json'])).stdout) as Sweep;
		expect(next.partitions['performance_logs']).toMatchObject({dropped: [], created: []});
		expect(next.partitions['system_metrics']).toMatchObject({dropped: [], created: []});
	});

	it('CALL log_retention_sweep() drops the expired partitions and creates the next days without handoff-top', async () => {
		const database = await populated(new Date(), 2000);
		expect((await partition(database, ['system_metrics'])).code).toBe(0);
		expect(await kind(database)).toBe('r');
		await convertedDaysAgo(database, 'system_metrics', 'recorded_at');
		await server.query(
			`INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at) VALUES ('two-days', 1, 'gauge', now() - interval '2 days'), ('now', 1, 'gauge', now() - interval '2 hours');
			 UPDATE log_retention SET keep_for = interval '1 day' WHERE name = 'system_metrics'`,
			[],
			database,
		);
		// a day some other tool made a partition for (of another name, as pg_partman names them) is left to it
		await server.query(
			`DO $$ DECLARE day timestamptz := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day'; BEGIN
			     EXECUTE format('CREATE TABLE system_metrics_premade PARTITION OF system_metrics FOR VALUES FROM (%L) TO (%L)', day, day + interval '1 day'); END $$`,
			[],
			database,
		);
		// the dry run of the SQL entry says the same and changes nothing
		const dry = await server.query(`SELECT table_name, action, partition_name FROM log_retention_partitions(3, true) ORDER BY action, partition_name`, [], database);
		expect(dry.filter(r => r.action === 'dropped')).toEqual([{table_name: 'system_metrics', action: 'dropped', partition_name: 'system_metrics_legacy'}]);
		expect(dry.filter(r => r.action === 'partitioned')).toEqual([{table_name: 'system_metrics', action: 'partitioned', partition_name: null}]);
		// today (its rows are in the DEFAULT partition: not known in a dry run) only: tomorrow is premade, the day after the conversion's
		expect(dry.filter(r => r.action === 'created' || r.action === 'skipped').map(r => r.partition_name)).toEqual([`system_metrics_p${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`]);
		expect(await server.query(`SELECT to_regclass('system_metrics_legacy') IS NOT NULL AS there`, [], database)).toEqual([{there: true}]);

		await server.query(`CALL log_retention_sweep()`, [], database);
		expect(await server.query(`SELECT to_regclass('system_metrics_legacy') IS NULL AS gone`, [], database)).toEqual([{gone: true}]);
		// today's rows are in the DEFAULT partition, so today is skipped; tomorrow was premade, the day after is the conversion's
		const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
		const days = (await partitionsOf(database, 'system_metrics')).filter(p => /^system_metrics_p\d{8}$/.test(p));
		expect(days.filter(p => p <= `system_metrics_p${today}`)).toEqual([]);
		expect(await partitionsOf(database, 'system_metrics')).toContain('system_metrics_premade');
		expect(await server.query(`SELECT metric_name FROM system_metrics ORDER BY 1`, [], database)).toEqual([{metric_name: 'now'}]);
		// performance_logs, not partitioned, lost its rows past the period in batches
		expect((await server.query(`SELECT count(*)::int AS n FROM performance_logs`, [], database))[0].n).toBe(2000);
		// a second call finds nothing to do
		await server.query(`CALL log_retention_sweep(100, 2)`, [], database);
		expect(await server.query(`SELECT metric_name FROM system_metrics ORDER BY 1`, [], database)).toEqual([{metric_name: 'now'}]);
	});

	it('bad input: one line and exit 2', async () => {
		const database = await server.migrated();
		const table = await partition(database, ['system_metrics', 'sessions']);
		expect(table.code).toBe(2);
		expect(table.stderr).toBe("handoff-top: partition: only performance_logs and system_metrics can be partitioned (got 'sessions')\n");
		const ahead = await partition(database, ['--ahead', '0']);
		expect(ahead.code).toBe(2);
		expect(ahead.stderr).toBe('handoff-top: --ahead needs a whole number of at least 1\n');
		expect(await kind(database)).toBe('r');
		expect(await kind(database, 'system_metrics')).toBe('r');
	});
});
