// handoff-top partition: performance_logs becomes range-partitioned by
// created_at without losing or changing a row; the app's writes (no partition
// named, id from its default), the FK's ON DELETE SET NULL, the monitor's
// Performance table and the rollup refresh work as before; validate passes,
// also after the handoff server's start-up DDL; --dry-run changes nothing;
// the sweep drops partitions entirely past the retention and creates the
// next days'; bad input is one line and exit 2.
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {validateDatabase} from '../../source/db/validation/validate.js';
import {performanceTable} from '../../source/queries/performance.js';
import {storagePanel} from '../../source/queries/storage.js';
import {buildBinary, runBinary} from '../commands/binary.js';
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
const kind = async (database: string) => (await server.query(`SELECT relkind::text AS k FROM pg_class WHERE oid = 'performance_logs'::regclass`, [], database))[0].k;
const rollups = async (database: string) =>
	server.query(`SELECT resolution_s, bucket_start, operation, calls, p95_ms, failures, sum_ms, min_ms, max_ms FROM performance_rollup ORDER BY 1, 2, 3`, [], database);
const validate = async (database: string) => server.withClient(database, async client => validateDatabase(client));

describe.concurrent('handoff-top partition', () => {
	it('--dry-run prints the plan and its locks and changes nothing', async () => {
		const database = await populated(new Date());
		const before = await fingerprint(database);
		const run = await partition(database, ['--dry-run']);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/^partition dry run \(nothing changed\): performance_logs, 6,000 rows, by created_at/);
		expect(run.stdout).toMatch(/lock: ACCESS EXCLUSIVE on performance_logs, catalog work only/);
		expect(run.stdout).toMatch(/VALIDATE CONSTRAINT performance_logs_legacy_bound[^\n]*\n\s+lock: SHARE UPDATE EXCLUSIVE/);
		const json = await partition(database, ['--dry-run', '--json', '--ahead', '2']);
		expect(json.code).toBe(0);
		const document = JSON.parse(json.stdout) as {dryRun: boolean; rows: number; ahead: number; bound: string; plan: Array<{step: string; lock: string}>};
		expect(document).toMatchObject({dryRun: true, rows: 6000, ahead: 2});
		expect(new Date(document.bound).getTime()).toBeGreaterThan(Date.now() + 86_400_000);
		expect(document.plan).toHaveLength(4);
		const first = document.bound.slice(0, 10);
		const second = new Date(new Date(document.bound).getTime() + 86_400_000).toISOString().slice(0, 10);
		expect(document.plan[3]!.step).toContain(`daily partitions ${first} to ${second}`);
		expect(await kind(database)).toBe('r');
		expect(await fingerprint(database)).toEqual(before);
		expect(await server.query(`SELECT conname FROM pg_constraint WHERE conrelid = 'performance_logs'::regclass AND conname LIKE '%legacy%'`, [], database)).toEqual([]);
		expect(await server.query(`SELECT 1 FROM pg_class WHERE relname = 'performance_logs_legacy_id_created_at'`, [], database)).toEqual([]);
	});

	it('keeps every row, the writes, the FK, the Performance table and the rollups; validate passes, also after the server starts', async () => {
		const base = new Date();
		const [database, twin] = await Promise.all([populated(base), populated(base)]);
		const before = await fingerprint(database);
		expect(before.n).toBe(6000);
		const run = await partition(database);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/^partition: performance_logs is partitioned by created_at: its 6,000 rows are the partition performance_logs_legacy .* ACCESS EXCLUSIVE held \d+ ms \(the swap\)\n$/);
		expect(await kind(database)).toBe('p');
		expect(await fingerprint(database)).toEqual(before);
		const parts = await server.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'performance_logs'::regclass ORDER BY 1`, [], database);
		expect(parts.map(p => p.relname)).toEqual(expect.arrayContaining(['performance_logs_default', 'performance_logs_legacy']));
		expect(parts.filter(p => /^performance_logs_p\d{8}$/.test(p.relname))).toHaveLength(3);

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

		const checked = await validate(database);
		expect(checked.differences.filter(d => d.severity !== 'info')).toEqual([]);
		expect(checked.ok).toBe(true);
		expect(checked.differences.find(d => d.objectType === 'table' && d.name === 'performance_logs')?.hint).toMatch(/^partitioned by handoff-top partition/);
		await server.withClient(database, async client => runStartupDdl(client));
		const afterStart = await validate(database);
		expect(afterStart.differences.filter(d => d.severity !== 'info')).toEqual([]);

		// only the partitioned shape is info: an index missing from the partitioned table is still drift
		await server.query(`DROP INDEX idx_performance_logs_operation`, [], database);
		const dropped = await validate(database);
		expect(dropped.ok).toBe(false);
		expect(dropped.differences.filter(d => d.severity === 'error').map(d => `${d.kind} ${d.name}`)).toEqual(['missing idx_performance_logs_operation']);

		const again = await partition(database);
		expect(again.code).toBe(0);
		expect(again.stdout).toBe('partition: performance_logs is already partitioned by created_at; nothing to do\n');
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
		expect((await server.query(`SELECT count(*)::int AS n FROM performance_logs WHERE operation = 'during'`, [], database))[0].n).toBe(written);
		expect((await fingerprint(database)).n).toBe(20_000 + written);
	});

	it('the sweep drops the partitions entirely past the retention, keeps the rest, and creates the next days', async () => {
		const database = await populated(new Date(), 2000);
		expect((await partition(database)).code).toBe(0);
		// as if the conversion had been made 4 days ago: the converted table ends 3 days ago, and one row each
		// 2 days ago (the DEFAULT partition) and now
		await server.query(
			`ALTER TABLE performance_logs DETACH PARTITION performance_logs_legacy;
			 DELETE FROM performance_logs_legacy WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '3 days';
			 ALTER TABLE performance_logs_legacy DROP CONSTRAINT performance_logs_legacy_bound;
			 DO $$ BEGIN EXECUTE format('ALTER TABLE performance_logs ATTACH PARTITION performance_logs_legacy FOR VALUES FROM (MINVALUE) TO (%L)',
			                            date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '3 days'); END $$;
			 INSERT INTO performance_logs (operation, duration_ms, created_at) VALUES ('two-days', 1, now() - interval '2 days'), ('now', 1, now() - interval '2 hours');
			 UPDATE log_retention SET keep_for = interval '1 day' WHERE name = 'performance_logs'`,
			[],
			database,
		);
		const legacyRows = (await server.query(`SELECT count(*)::int AS n FROM performance_logs_legacy`, [], database))[0].n;
		expect(legacyRows).toBeGreaterThan(0);

		// before the rollups have read anything, nothing goes
		const dry = await sweep(database, ['--dry-run']);
		expect(dry.code).toBe(0);
		expect(dry.stdout).toMatch(/performance_logs partitions that would be dropped \(none yet: nothing is rolled up\): none/);

		// after a refresh, the dry run names what the sweep drops and creates, and changes nothing
		await server.query(`SELECT * FROM refresh_performance_rollups()`, [], database);
		const partitions = async () =>
			server.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'performance_logs'::regclass ORDER BY 1`, [], database);
		const before = await partitions();
		const planned = JSON.parse((await sweep(database, ['--dry-run', '--json'])).stdout) as {partitions: {dropped: Array<{partition: string}>; created: string[]}};
		expect(planned.partitions.dropped.map(d => d.partition)).toEqual(['performance_logs_legacy']);
		expect(planned.partitions.created).toHaveLength(2);
		expect(await partitions()).toEqual(before);

		const run = await sweep(database, ['--json']);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		const out = JSON.parse(run.stdout) as {partitions: {dropped: Array<{partition: string}>; created: string[]; skipped: Array<{partition: string}>}};
		expect(out.partitions.dropped.map(d => d.partition)).toEqual(['performance_logs_legacy']);
		// today and tomorrow (the day after is the conversion's first daily partition); today's default rows stay where they are
		expect(out.partitions.created.length + out.partitions.skipped.length).toBe(2);
		expect(out.partitions.created).toEqual(planned.partitions.created.filter(name => !out.partitions.skipped.some(s => s.partition === name)));
		expect(await server.query(`SELECT to_regclass('performance_logs_legacy') IS NULL AS gone`, [], database)).toEqual([{gone: true}]);
		// the row 2 days old (past 1 day) went by the row batches; the recent one stays
		expect(await server.query(`SELECT operation FROM performance_logs ORDER BY 1`, [], database)).toEqual([{operation: 'now'}]);
		// the rollups kept the dropped days
		expect((await server.query(`SELECT sum(calls)::int AS n FROM performance_rollup WHERE resolution_s = 60`, [], database))[0].n).toBeGreaterThanOrEqual(legacyRows);

		const next = JSON.parse((await sweep(database, ['--json'])).stdout) as {partitions: {dropped: unknown[]; created: string[]}};
		expect(next.partitions).toMatchObject({dropped: [], created: []});
	});

	it('bad input: one line and exit 2', async () => {
		const database = await server.migrated();
		const table = await partition(database, ['system_metrics']);
		expect(table.code).toBe(2);
		expect(table.stderr).toBe("handoff-top: partition: only performance_logs can be partitioned (got 'system_metrics')\n");
		const ahead = await partition(database, ['--ahead', '0']);
		expect(ahead.code).toBe(2);
		expect(ahead.stderr).toBe('handoff-top: --ahead needs a whole number of at least 1\n');
		expect(await kind(database)).toBe('r');
	});
});
