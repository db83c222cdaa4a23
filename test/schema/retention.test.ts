// Log retention (migration 013): each period removes the rows just past it and
// keeps the ones just inside; the rollups keep the 24 h charts and table after
// the raw rows are gone; raw rows not rolled up yet are never removed; the
// sweep works in bounded batches beside a writer; the plan (dry run, Storage
// panel) counts what the batches then remove, and works as the monitor role.
import {readFileSync} from 'node:fs';
import pg from 'pg';
import {beforeEach, describe, expect, it} from 'vitest';
import {applyRetention, planRetention, RetentionBatchError} from '../../source/db/retention.js';
import {performanceTable} from '../../source/queries/performance.js';
import {useTestDatabase} from '../helpers/database.js';
import {withMonitorRole} from '../helpers/monitorRole.js';

const db = useTestDatabase();
const query = (name: string) => readFileSync(new URL(`../../sql/queries/${name}.sql`, import.meta.url), 'utf8');

async function withClient<T>(run: (client: pg.Client) => Promise<T>, extra: Partial<pg.ClientConfig> = {}): Promise<T> {
	const client = await db().connect(extra);
	try {
		return await run(client);
	} finally {
		await client.end();
	}
}

const retention = async (options: {batchRows?: number; batchTimeoutMs?: number} = {}) =>
	withClient(client => applyRetention(client, {batchRows: options.batchRows ?? 5000, batchTimeoutMs: options.batchTimeoutMs ?? 2000}));

const removedFrom = (result: Awaited<ReturnType<typeof retention>>) =>
	Object.fromEntries(result.tables.map(t => [`${t.name}/${t.table}`, t.removed]));

beforeEach(async () => {
	await db().query(`TRUNCATE performance_logs, system_metrics, performance_rollup, performance_rollup_histogram,
	                  analytics_aggregations, session_purge_audit`);
	await db().query(`UPDATE performance_rollup_state SET rolled_up_to = '-infinity', refreshed_at = NULL`);
	await db().query(`UPDATE log_retention p SET keep_for = d.keep_for
	                    FROM (VALUES ('performance_logs', interval '30 days'), ('system_metrics', interval '30 days'),
	                                 ('performance_rollup_1m', interval '35 days'), ('performance_rollup_10m', interval '90 days'),
	                                 ('performance_rollup_1h', interval '400 days'), ('analytics_aggregations', interval '400 days'),
	                                 ('session_purge_audit', interval '365 days')) d (name, keep_for)
	                   WHERE p.name = d.name`);
});

/** One row of each retained table at `age` before now (performance_rollup rows of every tier). */
async function rowsAged(age: string, tag: string) {
	await db().query(`INSERT INTO performance_logs (operation, duration_ms, created_at) VALUES ($2, 5, now() - $1::interval)`, [age, tag]);
	await db().query(`INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at) VALUES ($2, 1, 'gauge', now() - $1::interval)`, [age, tag]);
	for (const resolution of [60, 600, 3600]) {
		await db().query(
			`INSERT INTO performance_rollup (resolution_s, bucket_start, operation, calls, p95_ms, failures, sum_ms, min_ms, max_ms, first_call_at, last_call_at)
			 VALUES ($3, now() - $1::interval, $2, 1, 5, 0, 5, 5, 5, now() - $1::interval, now() - $1::interval)`,
			[age, tag, resolution],
		);
		await db().query(
			`INSERT INTO performance_rollup_histogram (resolution_s, bucket_start, operation, latency_bucket, calls) VALUES ($3, now() - $1::interval, $2, 19, 1)`,
			[age, tag, resolution],
		);
	}

	await db().query(`INSERT INTO analytics_aggregations (aggregation_type, time_bucket) VALUES ($2, now() - $1::interval)`, [age, tag.replaceAll('-', '_')]);
	await db().query(
		`INSERT INTO session_purge_audit (session_id, session_key, purged_at, deleted_rows, lifecycle_events, session_row)
		 VALUES (gen_random_uuid(), $2, now() - $1::interval, '{}', '[]', '{}')`,
		[age, tag],
	);
}

/** Which tags are left in each table (rollups per tier). */
async function tagsLeft() {
	const [row] = await db().query(`SELECT
	    (SELECT array_agg(operation ORDER BY operation) FROM performance_logs) AS performance_logs,
	    (SELECT array_agg(metric_name ORDER BY metric_name) FROM system_metrics) AS system_metrics,
	    (SELECT array_agg(operation ORDER BY operation) FROM performance_rollup WHERE resolution_s = 60) AS rollup_1m,
	    (SELECT array_agg(operation ORDER BY operation) FROM performance_rollup_histogram WHERE resolution_s = 60) AS histogram_1m,
	    (SELECT array_agg(operation ORDER BY operation) FROM performance_rollup WHERE resolution_s = 600) AS rollup_10m,
	    (SELECT array_agg(operation ORDER BY operation) FROM performance_rollup_histogram WHERE resolution_s = 600) AS histogram_10m,
	    (SELECT array_agg(operation ORDER BY operation) FROM performance_rollup WHERE resolution_s = 3600) AS rollup_1h,
	    (SELECT array_agg(operation ORDER BY operation) FROM performance_rollup_histogram WHERE resolution_s = 3600) AS histogram_1h,
	    (SELECT array_agg(aggregation_type::text ORDER BY aggregation_type) FROM analytics_aggregations) AS analytics_aggregations,
	    (SELECT array_agg(session_key ORDER BY session_key) FROM session_purge_audit) AS session_purge_audit`);
	return row as Record<string, string[] | null>;
}

describe('log retention', () => {
	it('each period removes the rows just past it and keeps the rows just inside it', async () => {
		// the rollups are up to date: raw rows are not held back for them
		await db().query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
		const periods: Array<[string, string, string[]]> = [
			['30 days', 'performance_logs', ['performance_logs', 'system_metrics']],
			['35 days', 'rollup_1m', ['rollup_1m', 'histogram_1m']],
			['90 days', 'rollup_10m', ['rollup_10m', 'histogram_10m']],
			['365 days', 'purge_audit', ['session_purge_audit']],
			['400 days', 'rollup_1h', ['rollup_1h', 'histogram_1h', 'analytics_aggregations']],
		];
		for (const [keep, tag] of periods) {
			await rowsAged(`${keep} - 2 minutes`, `in-${tag}`);
			await rowsAged(`${keep} + 2 minutes`, `out-${tag}`);
		}

		const result = await retention();
		const left = await tagsLeft();
		for (const [, tag, tables] of periods) {
			for (const table of tables) {
				const kept = table === 'analytics_aggregations' ? `in_${tag}` : `in-${tag}`;
				const gone = table === 'analytics_aggregations' ? `out_${tag}` : `out-${tag}`;
				expect(left[table], `${table} keeps ${kept}`).toContain(kept);
				expect(left[table], `${table} removes ${gone}`).not.toContain(gone);
			}
		}

		// what each table lost: the rows past its own period (and past every shorter one)
		expect(removedFrom(result)).toEqual({
			'analytics_aggregations/analytics_aggregations': 1,
			'performance_logs/performance_logs': 9,
			'performance_rollup_10m/performance_rollup': 5,
			'performance_rollup_10m/performance_rollup_histogram': 5,
			'performance_rollup_1h/performance_rollup': 1,
			'performance_rollup_1h/performance_rollup_histogram': 1,
			'performance_rollup_1m/performance_rollup': 7,
			'performance_rollup_1m/performance_rollup_histogram': 7,
			'session_purge_audit/session_purge_audit': 3,
			'system_metrics/system_metrics': 9,
		});
		expect(removedFrom(await retention()), 'a second sweep finds nothing').toEqual(Object.fromEntries(Object.keys(removedFrom(result)).map(k => [k, 0])));
	});

	it('a period changed with an UPDATE applies at the next sweep; NULL keeps the rows for ever', async () => {
		await db().query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
		await rowsAged('3 days', 'three-days');
		await rowsAged('1 day', 'one-day');
		await rowsAged('500 days', 'ancient');
		await db().query(`UPDATE log_retention SET keep_for = interval '2 days' WHERE name = 'performance_logs'`);
		await db().query(`UPDATE log_retention SET keep_for = NULL WHERE name IN ('system_metrics', 'performance_rollup_1h')`);
		await retention();
		const left = await tagsLeft();
		expect(left['performance_logs']).toEqual(['one-day']);
		expect(left['system_metrics']).toEqual(['ancient', 'one-day', 'three-days']);
		expect(left['rollup_1h']).toEqual(['ancient', 'one-day', 'three-days']);
		// the rollup refresh's own all-tier retention follows the longest tier: for ever now
		const [state] = await db().query(`SELECT retention::text FROM performance_rollup_state`);
		expect(state.retention).toBe('1000 years');
		await db().query(`UPDATE log_retention SET keep_for = interval '2 years' WHERE name = 'performance_rollup_1h'`);
		expect((await db().query(`SELECT retention::text FROM performance_rollup_state`))[0].retention).toBe('2 years');
	});

	it('refuses periods the charts cannot live with', async () => {
		await expect(db().query(`UPDATE log_retention SET keep_for = interval '6 hours' WHERE name = 'performance_rollup_1m'`)).rejects.toThrow(/check constraint/);
		await expect(db().query(`UPDATE log_retention SET keep_for = interval '10 minutes' WHERE name = 'performance_logs'`)).rejects.toThrow(/check constraint/);
	});

	it('never removes raw rows the rollups have not read, nor 1-minute rollups a coarse tier is still built from', async () => {
		await db().query(`UPDATE log_retention SET keep_for = interval '1 hour' WHERE name = 'performance_logs'`);
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, created_at)
		                  SELECT 'op', g, now() - interval '3 hours' - make_interval(mins => g) FROM generate_series(1, 100) g`);
		const before = await retention();
		expect(removedFrom(before)['performance_logs/performance_logs'], 'no refresh yet: nothing rolled up, nothing removed').toBe(0);
		await db().query(`SELECT * FROM refresh_performance_rollups()`);
		// the rollups were behind by a day: raw rows after (watermark - grace) stay for the next refresh to re-read
		await db().query(`UPDATE performance_rollup_state SET rolled_up_to = now() - interval '3 hours 30 minutes'`);
		await retention();
		const [row] = await db().query(`SELECT count(*)::int AS n, min(created_at) >= now() - interval '3 hours 36 minutes' AS held FROM performance_logs`);
		expect(row.n).toBeGreaterThan(0);
		expect(row.held).toBe(true);
		await db().query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
		await retention();
		expect((await db().query(`SELECT count(*)::int AS n FROM performance_logs`))[0].n).toBe(0);
	});

	it('the 24 h p95 and chart read the same after the raw rows are gone (within the rollup bound of the exact p95)', async () => {
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, success, created_at)
		                  SELECT CASE WHEN g % 2 = 0 THEN 'get_context' ELSE 'update_context' END,
		                         greatest(0, round(20 * exp(0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::integer,
		                         g % 50 <> 0, now() - interval '5 minutes' - make_interval(secs => random() * 22 * 3600)
		                    FROM generate_series(1, 20000) g`);
		const exact = await db().query(
			`SELECT operation, count(*)::int AS calls, percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
			   FROM performance_logs GROUP BY 1 ORDER BY 1`,
		);
		await db().query(`SELECT * FROM refresh_performance_rollups()`);
		const [window] = await db().query(`SELECT now() - interval '24 hours' AS s, now() AS e`);
		const chart = async () => db().query(query('rollup_latency_series'), [window.s, window.e, 96]);
		const chartBefore = await chart();
		const tableBefore = await withClient(client => performanceTable(client, {threshold: 95}));

		await db().query(`UPDATE log_retention SET keep_for = interval '1 hour' WHERE name = 'performance_logs'`);
		const result = await retention({batchRows: 3000});
		const [left] = await db().query(`SELECT count(*)::int AS n FROM performance_logs`);
		expect(removedFrom(result)['performance_logs/performance_logs']).toBe(20000 - left.n);
		expect(left.n, 'only the last hour of raw rows is left').toBeLessThan(2000);

		expect(await chart(), 'the 24 h chart, bucket by bucket').toEqual(chartBefore);
		const tableAfter = await withClient(client => performanceTable(client, {threshold: 95}));
		expect(tableAfter.map(r => r.operation)).toEqual(exact.map(r => r.operation));
		for (const truth of exact) {
			const after = tableAfter.find(r => r.operation === truth.operation)!;
			const before = tableBefore.find(r => r.operation === truth.operation)!;
			expect(after.calls).toBe(truth.calls);
			expect(after.p95Ms).toBe(before.p95Ms);
			expect(Math.abs(after.p95Ms - truth.p95) / truth.p95).toBeLessThanOrEqual(0.045);
		}
	});

	it('works in batches of its own transactions while a writer inserts and updates the rows being removed, never blocking it past the bound', async () => {
		await db().query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, created_at)
		                  SELECT 'old', g % 100, now() - interval '40 days' + make_interval(secs => g) FROM generate_series(1, 20000) g`);
		const boundMs = 2000;
		const writer = await db().connect();
		// the writer gives up (and the test fails) if it waits on a lock longer than the bound
		await writer.query(`SET lock_timeout = '${boundMs}ms'`);
		let writes = 0;
		let stop = false;
		const writing = (async () => {
			while (!stop) {
				await writer.query(`INSERT INTO performance_logs (operation, duration_ms) VALUES ('new', 1)`);
				// the oldest old row, which the sweep's current batch is most likely holding
				await writer.query(`UPDATE performance_logs SET success = NOT success
				                     WHERE id = (SELECT id FROM performance_logs WHERE operation = 'old' ORDER BY created_at LIMIT 1)`);
				writes++;
			}
		})();
		const writesAtBatch: number[] = [];
		const batches: number[] = [];
		try {
			await withClient(client =>
				applyRetention(client, {
					batchRows: 500,
					batchTimeoutMs: boundMs,
					onBatch(name, removed) {
						if (name !== 'performance_logs') return;
						batches.push(removed);
						writesAtBatch.push(writes);
					},
				}),
			);
		} finally {
			stop = true;
			await writing.finally(() => writer.end());
		}

		expect(Math.max(...batches)).toBeLessThanOrEqual(500);
		expect(batches.reduce((a, b) => a + b, 0)).toBe(20000);
		expect(batches.length).toBeGreaterThanOrEqual(40);
		// the writer kept writing between the batches, not only after the sweep
		expect(writesAtBatch.at(-1)! - writesAtBatch[0]!).toBeGreaterThan(0);
		const [left] = await db().query(`SELECT count(*) FILTER (WHERE operation = 'old')::int AS old, count(*) FILTER (WHERE operation = 'new')::int AS new FROM performance_logs`);
		expect(left.old).toBe(0);
		expect(left.new).toBeGreaterThanOrEqual(writes);
	});

	it('a batch that cannot finish within the bound is rolled back and retried smaller, then the sweep stops and says so', async () => {
		await db().query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
		await db().query(`INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at)
		                  SELECT 'old', 1, 'gauge', now() - interval '40 days' FROM generate_series(1, 1000)`);
		const holder = await db().connect();
		try {
			await holder.query('BEGIN');
			await holder.query('LOCK TABLE system_metrics IN ACCESS EXCLUSIVE MODE');
			const error = await retention({batchRows: 400, batchTimeoutMs: 150}).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(RetentionBatchError);
			expect((error as Error).message).toBe('log retention: a batch of 100 system_metrics rows did not finish within 150 ms; the rows it had removed were kept');
		} finally {
			await holder.query('ROLLBACK');
			await holder.end();
		}

		expect((await db().query(`SELECT count(*)::int AS n FROM system_metrics`))[0].n).toBe(1000);
	});

	it('CALL log_retention_sweep() does the same without handoff-top, committing each batch (and refuses to run inside a transaction)', async () => {
		await db().query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
		await rowsAged('500 days', 'ancient');
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, created_at)
		                  SELECT 'old', 1, now() - interval '31 days' - make_interval(secs => g) FROM generate_series(1, 1200) g`);
		await withClient(async client => {
			await client.query('BEGIN');
			await expect(client.query('CALL log_retention_sweep(500)')).rejects.toThrow(/invalid transaction termination/);
			await client.query('ROLLBACK');
		});
		await db().query('CALL log_retention_sweep(500)');
		expect(await tagsLeft()).toMatchObject({
			performance_logs: null,
			system_metrics: null,
			rollup_1m: null,
			rollup_10m: null,
			rollup_1h: null,
			analytics_aggregations: null,
			session_purge_audit: null,
		});
	});

	it('the plan counts what the batches then remove, changes nothing, and caps its counts', async () => {
		await db().query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
		await db().query(`INSERT INTO system_metrics (metric_name, metric_value, metric_type, recorded_at)
		                  SELECT 'm', 1, 'gauge', now() - interval '31 days' - make_interval(mins => g) FROM generate_series(1, 1500) g`);
		await rowsAged('31 days', 'old');
		const plan = await withClient(client => planRetention(client, {afterRefresh: false}));
		const capped = await withClient(client => planRetention(client, {afterRefresh: false, cap: 1000}));
		const due = Object.fromEntries(plan.map(p => [`${p.name}/${p.table}`, p.rowsDue]));
		expect(due['system_metrics/system_metrics']).toBe(1501);
		expect(capped.find(p => p.table === 'system_metrics')).toMatchObject({rowsDue: 1000, capped: true});
		expect((await db().query(`SELECT count(*)::int AS n FROM system_metrics`))[0].n).toBe(1501);
		expect(removedFrom(await retention())).toEqual(due);
	});

	it('the plan works as the least-privilege monitor role and says which table it cannot read', async () => {
		const plan = await withMonitorRole(db(), async url => withClient(client => planRetention(client, {afterRefresh: false}), {connectionString: url}));
		expect(plan.filter(p => !p.readable).map(p => p.table)).toEqual(['session_purge_audit']);
		expect(plan.find(p => p.table === 'session_purge_audit')?.rowsDue).toBeNull();
		expect(plan.filter(p => p.readable).every(p => p.rowsDue === 0)).toBe(true);
	});

});
