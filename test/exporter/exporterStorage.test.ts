// handoff-top exporter's storage metrics, the built binary against the test
// server: sizes and row estimates against the database's own numbers, one
// series per table of the handoff schema only, and --storage-limit's forecast
// against the Storage panel's (source/queries/storage.ts), the monitor's own.
import {spawnSync} from 'node:child_process';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {loadExpectedSchema} from '../../source/db/validation/expected.js';
import {storagePanel} from '../../source/queries/storage.js';
import {buildBinary, exited, runBinary, until} from '../commands/binary.js';
import {useTestDatabase} from '../helpers/database.js';
import {parsePrometheusText, scrape, startExporter, value, type Sample} from './exporterHelpers.js';
import {promtool} from './prometheusBinaries.js';

const db = useTestDatabase();
let bin: string;
let remove: () => void;
const limitBytes = 1024 ** 3;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
	// ten days of calls and sessions, so that the growth is measured; and a table that is not the handoff schema's
	await db().query(`
		INSERT INTO performance_logs (operation, duration_ms, success, created_at)
		SELECT 'update_context', g % 100, true, now() - interval '10 days' * (g / 20000.0) FROM generate_series(1, 20000) g;
		INSERT INTO sessions (session_key, agent_from, created_at) SELECT 'st-' || g, 'claude', now() - interval '10 days' * (g / 500.0) FROM generate_series(1, 500) g;
		CREATE TABLE not_ours (id int PRIMARY KEY, pad text);
		INSERT INTO not_ours SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g;`);
	await db().query('VACUUM ANALYZE');
});
afterAll(() => remove?.());

describe('handoff-top exporter storage metrics', () => {
	it("serves the database's size, each handoff table's size and row estimate, and the forecast to --storage-limit as the Storage panel has it", async () => {
		const exporter = await startExporter(bin, ['--dsn', db().url, '--storage-limit', '1GB']);
		const name = db().name;
		try {
			let s: Sample[] = [];
			let text = '';
			await until(async () => value((s = parsePrometheusText((text = await scrape(exporter.url)))), 'handoff_top_storage_database_bytes', {database: name}) !== undefined, 15_000, 'storage read');
			// the database's own numbers, read right after the scrape (nothing writes meanwhile)
			const [own] = await db().query<{database: string; sessions: string; perf: string; sessions_rows: number; perf_rows: number}>(
				`SELECT pg_database_size(current_database()) AS database,
				        pg_total_relation_size('sessions') AS sessions, pg_total_relation_size('performance_logs') AS perf,
				        (SELECT reltuples FROM pg_class WHERE oid = 'sessions'::regclass) AS sessions_rows,
				        (SELECT reltuples FROM pg_class WHERE oid = 'performance_logs'::regclass) AS perf_rows`,
			);
			// a VACUUM by autovacuum in between may add a table's free-space and visibility map forks (4 pages)
			const near = (got: number | undefined, want: number, slack: number) => expect(Math.abs(got! - want)).toBeLessThanOrEqual(slack);
			near(value(s, 'handoff_top_storage_database_bytes', {database: name}), Number(own!.database), 256 * 1024);
			near(value(s, 'handoff_top_storage_table_bytes', {database: name, table: 'sessions'}), Number(own!.sessions), 4 * 8192);
			near(value(s, 'handoff_top_storage_table_bytes', {database: name, table: 'performance_logs'}), Number(own!.perf), 4 * 8192);
			expect(Number(own!.perf)).toBeGreaterThan(1024 * 1024); // 20,000 rows: not confused with a small table
			expect(value(s, 'handoff_top_storage_table_rows', {database: name, table: 'sessions'})).toBe(own!.sessions_rows);
			expect(value(s, 'handoff_top_storage_table_rows', {database: name, table: 'performance_logs'})).toBe(20_000);

			// one series per table of the handoff schema, none for another table in it
			const tables = s.filter(x => x.name === 'handoff_top_storage_table_bytes').map(x => x.labels['table']);
			const expected = Object.values(loadExpectedSchema().objects).filter(o => o.type === 'table').map(o => o.name);
			expect(tables.sort()).toEqual([...expected].sort());
			expect(tables).not.toContain('not_ours');

			// the forecast: the Storage panel's, computed by the monitor's code on the monitor's connection
			const client = await connect({dsn: db().url, purpose: 'monitor', component: '-test'});
			let panel;
			try {
				panel = await storagePanel(client, {limitBytes});
			} finally {
				await client.end();
			}

			const limit = panel.ceilings.find(c => c.kind === 'limit')!;
			expect(limit.daysLeft).not.toBeNull();
			expect(value(s, 'handoff_top_storage_capacity_bytes', {database: name, ceiling: 'limit'})).toBe(limitBytes);
			const left = value(s, 'handoff_top_storage_time_left_seconds', {database: name, ceiling: 'limit'})!;
			expect(left / 86_400 / limit.daysLeft!).toBeCloseTo(1, 1);
			expect(value(s, 'handoff_top_storage_growth_bytes_per_second', {database: name})! / (panel.growthBytesPerDay / 86_400)).toBeCloseTo(1, 1);
			expect(panel.growthBytesPerDay).toBeGreaterThan(0);
			// the names and units pass promtool's lint (CI has promtool: prometheusBinaries.ts)
			if (promtool) {
				const check = spawnSync(promtool, ['check', 'metrics'], {input: text, encoding: 'utf8'});
				expect(check.stdout + check.stderr).toBe('');
				expect(check.status).toBe(0);
			}
		} finally {
			exporter.kill('SIGTERM');
			await exited(exporter);
		}
	});

	it('without --storage-limit serves no limit; a bad size is a usage error', async () => {
		const exporter = await startExporter(bin, ['--dsn', db().url]);
		try {
			let s: Sample[] = [];
			await until(async () => value((s = parsePrometheusText(await scrape(exporter.url))), 'handoff_top_storage_database_bytes', {database: db().name}) !== undefined, 15_000, 'storage read');
			expect(value(s, 'handoff_top_storage_capacity_bytes', {database: db().name, ceiling: 'limit'})).toBeUndefined();
			expect(value(s, 'handoff_top_storage_time_left_seconds', {database: db().name, ceiling: 'limit'})).toBeUndefined();
		} finally {
			exporter.kill('SIGTERM');
			await exited(exporter);
		}

		const bad = await runBinary(bin, ['exporter', '--dsn', db().url, '--storage-limit', 'lots']);
		expect(bad.code).toBe(2);
		expect(bad.stderr.trim()).toBe("handoff-top: --storage-limit must be a size such as '100GB', '500MB' or '2TB' (got 'lots')");
	});
});
