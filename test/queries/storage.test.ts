// The Storage panel against real sizes: each table's size, indexes and row
// estimate as PostgreSQL reports them, growth per day from the rows' own
// timestamps, what the next sweep removes, days until a limit, the server's
// free disk where it can be read, alarms with a suggestion, and the monitor
// role, which sees the panel with what it cannot read said.
import {statfsSync} from 'node:fs';
import pg from 'pg';
import {beforeAll, describe, expect, it} from 'vitest';
import {intervalDays, parseSize, readFreeDisk, size, storagePanel} from '../../source/queries/storage.js';
import {useTestDatabase} from '../helpers/database.js';
import {withMonitorRole} from '../helpers/monitorRole.js';

const db = useTestDatabase();

async function withClient<T>(run: (client: pg.Client) => Promise<T>, connectionString?: string): Promise<T> {
	const client = await db().connect(connectionString ? {connectionString} : {});
	try {
		return await run(client);
	} finally {
		await client.end();
	}
}

beforeAll(async () => {
	// 10 days of performance_logs, 1,000 a day, evenly; 500 rows past their 30 days; metrics over 2 days
	await db().query(`INSERT INTO performance_logs (operation, duration_ms, created_at)
	                  SELECT 'op', g % 100, now() - make_interval(secs => g * 86.4) FROM generate_series(1, 10000) g`);
	await db().query(`INSERT INTO performance_logs (operation, duration_ms, created_at)
	                  SELECT 'old', 1, now() - interval '40 days' - make_interval(secs => g) FROM generate_series(1, 500) g`);
	await db().query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
	await db().query(`INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at)
	                  SELECT 'm', 1, 'gauge', now() - make_interval(mins => g) FROM generate_series(1, 2880) g`);
	await db().query('ANALYZE');
});

describe('sizes and units', () => {
	it('parses --storage-limit sizes 1024-based and prints sizes in the same units', () => {
		expect(parseSize('100GB')).toBe(100 * 1024 ** 3);
		expect(parseSize('1.5 tb')).toBe(1.5 * 1024 ** 4);
		expect(parseSize('512MiB')).toBe(512 * 1024 ** 2);
		expect(parseSize('lots')).toBeUndefined();
		expect(parseSize('0GB')).toBeUndefined();
		expect([size(8192), size(78044519), size(500), size(300 * 1024 ** 3)]).toEqual(['8 kB', '74.4 MB', '500 bytes', '300 GB']);
		expect(intervalDays('30 days')).toBe(30);
		expect(intervalDays('1 year 1 mon')).toBeCloseTo(395.25);
		expect(intervalDays('25:00:00')).toBeCloseTo(25 / 24);
	});
});

describe('the Storage panel', () => {
	it('reports each table and its indexes as PostgreSQL measures them', async () => {
		const panel = await withClient(client => storagePanel(client));
		const truth = await db().query(
			`SELECT c.relname AS table, pg_table_size(c.oid)::float8 AS table_bytes, pg_indexes_size(c.oid)::float8 AS index_bytes,
			        pg_total_relation_size(c.oid)::float8 AS total_bytes, c.reltuples::float8 AS rows
			   FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY 1`,
		);
		expect(panel.tables.map(t => t.table).sort()).toEqual(truth.map(t => t.table));
		for (const t of truth) {
			const shown = panel.tables.find(x => x.table === t.table)!;
			expect(shown, t.table).toMatchObject({tableBytes: t.table_bytes, indexBytes: t.index_bytes, totalBytes: t.total_bytes});
			if (t.rows >= 0) expect(shown.rowEstimate, t.table).toBe(t.rows);
		}

		const [database] = await db().query(`SELECT pg_database_size(current_database())::float8 AS bytes`);
		expect(panel.databaseBytes).toBe(database.bytes);
		expect(panel.tables.reduce((sum, t) => sum + t.totalBytes, 0)).toBeLessThanOrEqual(panel.databaseBytes);
	});

	it('measures growth per day from the rows\' timestamps, and what the next sweep removes', async () => {
		const panel = await withClient(client => storagePanel(client));
		const logs = panel.tables.find(t => t.table === 'performance_logs')!;
		// the oldest row is 40 days old: 10,500 rows over 40 days, past the 30-day period, so steady
		expect(logs.inflowRowsPerDay).toBeCloseTo(10_500 / 40, 0);
		expect(logs.inflowBytesPerDay).toBeCloseTo(logs.totalBytes / 40, -2);
		expect(logs.growthBytesPerDay).toBe(0);
		expect(logs.keptFor).toBe('30d');
		expect(logs.nextSweepRows).toBe(500);
		expect(logs.nextSweepBytes).toBe(Math.round((500 * logs.totalBytes) / logs.rowEstimate!));
		// two days of metrics, not yet at their 30 days: growing, steady in 28 days
		const metrics = panel.tables.find(t => t.table === 'system_metrics')!;
		expect(metrics.inflowRowsPerDay).toBeCloseTo(2880 / 2, -1);
		expect(metrics.growthBytesPerDay).toBeCloseTo(metrics.totalBytes / 2, -2);
		expect(metrics.daysToSteady).toBeCloseTo(28, 1);
		expect(metrics.nextSweepRows).toBe(0);
		expect(panel.tables.find(t => t.table === 'performance_rollup')!.keptFor).toBe('35d/90d/400d');
		expect(panel.growthBytesPerDay).toBeCloseTo(panel.tables.reduce((sum, t) => sum + (t.growthBytesPerDay ?? 0), 0));
	});

	it('forecasts the days until a limit and raises the alarm over 80 % or under 7 days, with a suggestion', async () => {
		const noDisk = () => ({note: 'free disk: not in this test'});
		const base = await withClient(client => storagePanel(client, {freeDisk: noDisk}));
		const growth = base.growthBytesPerDay;
		expect(growth).toBeGreaterThan(0);
		// room for 3 days of growth (system_metrics grows for 28 more days): under 80 % used, but under 7 days left
		const soon = await withClient(client => storagePanel(client, {limitBytes: base.databaseBytes * 100, freeDisk: noDisk}));
		expect(soon.alarms).toEqual([]);
		const near = await withClient(client => storagePanel(client, {limitBytes: Math.round(base.databaseBytes + 3 * growth), freeDisk: noDisk}));
		const ceiling = near.ceilings[0]!;
		expect(ceiling.kind).toBe('limit');
		expect(ceiling.daysLeft).toBeGreaterThan(2.5);
		expect(ceiling.daysLeft).toBeLessThan(3.5);
		expect(near.alarms).toHaveLength(1);
		expect(near.alarms[0]!.message).toMatch(/^(\d+\.\d % of the storage limit \(.*\) used; )?the storage limit \(.+\) reached in [23]\.\d days$/);
		expect(near.alarms[0]!.suggestion).toMatch(/system_metrics grows most \(.+\/day\): shorten its retention \(now 30 days\): UPDATE log_retention SET keep_for = interval '15 days' WHERE name = 'system_metrics'$/);
		// over 80 % of the limit
		const full = await withClient(client => storagePanel(client, {limitBytes: Math.round(base.databaseBytes / 0.9), freeDisk: noDisk}));
		expect(full.alarms[0]!.message).toMatch(/^(8|9)\d\.\d % of the storage limit/);
		expect(full.notes).toContain('free disk: not in this test');
	});

	it('reads the free space of the server\'s disk when the server runs here', async () => {
		const panel = await withClient(client => storagePanel(client));
		const [{dir}] = await db().query(`SELECT current_setting('data_directory') AS dir`);
		const disk = panel.ceilings.find(c => c.kind === 'disk');
		expect(disk, panel.notes.join('\n')).toBeDefined();
		const stats = statfsSync(dir);
		expect(disk!.diskBytes).toBe(stats.blocks * stats.bsize);
		// free space moves as other tests write: within 1 % of the disk
		expect(Math.abs(disk!.freeBytes! - stats.bavail * stats.bsize)).toBeLessThan(0.01 * disk!.diskBytes!);
		expect(disk!.capacityBytes).toBe(panel.databaseBytes + disk!.freeBytes!);
		expect(readFreeDisk({data_directory: dir, server_addr: '10.1.2.3/32', server_port: 5432})).toEqual({
			note: 'free disk: cannot be read (the server is on another machine); give --storage-limit',
		});
		expect(readFreeDisk({data_directory: dir, server_addr: '127.0.0.1/32', server_port: 1})).toEqual({
			note: `free disk: cannot be read (${dir} here belongs to another server); give --storage-limit`,
		});
	});

	it('works as the least-privilege monitor role, saying what it cannot read', async () => {
		await db().query(`INSERT INTO session_purge_audit (session_id, session_key, purged_at, deleted_rows, lifecycle_events, session_row)
		                  VALUES (gen_random_uuid(), 'gone', now() - interval '3 days', '{}', '[]', '{}')`);
		const panel = await withMonitorRole(db(), async url => withClient(client => storagePanel(client, {limitBytes: 100 * 1024 ** 3}), url));
		const asOwner = await withClient(client => storagePanel(client));
		expect(panel.tables.map(t => [t.table, t.totalBytes > 0])).toEqual(asOwner.tables.map(t => [t.table, t.totalBytes > 0]));
		expect(panel.notes).toContain('free disk: cannot be read (the data directory is shown only to superusers and pg_read_all_settings); give --storage-limit');
		expect(panel.notes).toContain('growth not measured (cannot read purged_at): session_purge_audit');
		expect(panel.notes).toContain('next sweep: cannot read session_purge_audit');
		expect(panel.tables.find(t => t.table === 'performance_logs')!.nextSweepRows).toBe(500);
		expect(panel.ceilings.map(c => c.kind)).toEqual(['limit']);
	});
});
