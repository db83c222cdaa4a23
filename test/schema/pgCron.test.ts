// pg_cron, where the server has it, runs the log retention inside the database
// without handoff-top: CALL log_retention_sweep() on a schedule drops the
// expired daily partition of a partitioned system_metrics, creates the next
// days' and removes the expired rows of the unpartitioned performance_logs.
// PostgreSQL 15 with the Debian package postgresql-15-cron (installed with
// apt-get when missing and possible), in a private cluster with pg_cron
// preloaded; skipped, saying why, where neither is at hand (the embedded
// PostgreSQL 18 has no pg_cron).
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildBinary, runBinary} from '../commands/binary.js';
import {convertedDaysAgo} from '../helpers/partitions.js';
import {pg15Bin, replicaUnavailable, startPrimary, until, type Cluster} from '../helpers/replica.js';

const version = /\/postgresql\/(\d+)\/bin\/?$/.exec(pg15Bin)?.[1] ?? '15';
const control = `/usr/share/postgresql/${version}/extension/pg_cron.control`;

function unavailable(): string | undefined {
	const tools = replicaUnavailable();
	if (tools) return tools;
	if (existsSync(control)) return undefined;
	if (process.getuid?.() !== 0) return `pg_cron is not installed (${control} missing; apt-get install postgresql-${version}-cron needs root)`;
	const installed = spawnSync('apt-get', ['install', '-y', '-qq', `postgresql-${version}-cron`], {encoding: 'utf8', env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}, timeout: 300_000});
	if (existsSync(control)) return undefined;
	return `pg_cron is not installed and apt-get could not install postgresql-${version}-cron (${(installed.error?.message ?? installed.stderr ?? '').trim().split('\n').at(-1) || `exit ${installed.status}`})`;
}

const reason = unavailable();
if (reason) console.warn(`test/schema/pgCron.test.ts skipped: ${reason}`);

describe.skipIf(reason !== undefined)('pg_cron runs CALL log_retention_sweep()', () => {
	let cluster: (Cluster & {password: string}) | undefined;
	let bin: {bin: string; remove(): void} | undefined;
	beforeAll(async () => {
		[cluster, bin] = await Promise.all([
			startPrimary({'shared_preload_libraries': 'pg_cron', 'cron.database_name': 'handoff', 'cron.use_background_workers': 'on', 'max_worker_processes': '16'}),
			buildBinary(),
		]);
		await cluster.query('CREATE DATABASE handoff');
	}, 180_000);
	afterAll(async () => {
		await cluster?.destroy();
		bin?.remove();
	});

	it('drops the expired partition, creates the next days and removes the expired rows, on its schedule', async () => {
		const db = cluster!;
		const query = async (text: string) => db.query(text, [], 'handoff');
		const setup = await runBinary(bin!.bin, ['setup', '--dsn', db.url('handoff')]);
		expect(setup.stderr).toBe('');
		expect(setup.code).toBe(0);
		await query(
			`INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at)
			 SELECT 'm' || (g % 3), g, 'gauge', now() - make_interval(hours => g) FROM generate_series(1, 200) g;
			 INSERT INTO performance_logs (operation, duration_ms, success, created_at)
			 SELECT 'op', g, true, now() - make_interval(hours => g) FROM generate_series(1, 200) g`,
		);
		const partition = await runBinary(bin!.bin, ['partition', 'system_metrics', '--dsn', db.url('handoff')]);
		expect(partition.stderr).toBe('');
		expect(partition.code).toBe(0);
		await convertedDaysAgo(query, 'system_metrics', 'recorded_at');
		// the last 3 days' rows again (the DEFAULT partition holds them: no daily partition covers them)
		await query(
			`INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at)
			 SELECT 'm' || (g % 3), g, 'gauge', now() - make_interval(hours => g) FROM generate_series(1, 71) g;
			 UPDATE log_retention SET keep_for = interval '1 day' WHERE name IN ('system_metrics', 'performance_logs');
			 SELECT * FROM refresh_performance_rollups()`,
		);
		const rows = async () => (await db.query(`SELECT (SELECT count(*)::int FROM system_metrics) AS metrics, (SELECT count(*)::int FROM performance_logs) AS logs`, [], 'handoff'))[0];
		const before = await rows();
		expect(before.metrics).toBeGreaterThan(24);

		await query(`CREATE EXTENSION pg_cron; SELECT cron.schedule('handoff-log-retention', '* * * * *', $$CALL log_retention_sweep()$$)`);
		// every minute: the first run comes at the next minute's start
		await until(async () => (await db.query(`SELECT count(*)::int AS n FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')`, [], 'handoff'))[0].n > 0, 90_000, 'a pg_cron run');
		expect(await db.query(`SELECT status, return_message FROM cron.job_run_details ORDER BY start_time LIMIT 1`, [], 'handoff')).toEqual([{status: 'succeeded', return_message: 'CALL'}]);

		expect(await db.query(`SELECT to_regclass('system_metrics_legacy') IS NULL AS gone`, [], 'handoff')).toEqual([{gone: true}]);
		const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
		const days = (await db.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'system_metrics'::regclass`, [], 'handoff')).map(r => r.relname as string);
		expect(days.filter(p => /^system_metrics_p\d{8}$/.test(p) && p > `system_metrics_p${today}`).length).toBeGreaterThan(0);
		// rows of the last day stay (one an hour); older ones went, by the partition drop and by the batches
		const after = await rows();
		expect(after.metrics).toBeGreaterThanOrEqual(23);
		expect(after.metrics).toBeLessThanOrEqual(24);
		expect(after.logs).toBeGreaterThanOrEqual(23);
		expect(after.logs).toBeLessThanOrEqual(24);
		expect((await db.query(`SELECT count(*)::int AS n FROM system_metrics WHERE recorded_at < now() - interval '1 day'`, [], 'handoff'))[0].n).toBe(0);
	}, 180_000);
});
