// The latency rollups of migration 005: refresh_performance_rollups() and the
// rollup_* queries agree with the raw rows (exact counts, p95 within the
// histogram's bound), count rows that arrive after the watermark or commit
// late within the grace window, and never run twice at once.
import {readFileSync} from 'node:fs';
import {beforeEach, describe, expect, it} from 'vitest';
import {useTestDatabase} from '../helpers/database.js';

const db = useTestDatabase();
const query = (name: string) => readFileSync(new URL(`../../sql/queries/${name}.sql`, import.meta.url), 'utf8');

async function load(rows: number, spreadHours: number, offsetMinutes = 0) {
	// log-normal-ish durations over two operations, 2 % failures
	await db().query(
		`INSERT INTO performance_logs (operation, duration_ms, success, created_at)
		 SELECT CASE WHEN g % 2 = 0 THEN 'get_context' ELSE 'update_context' END,
		        greatest(0, round(20 * exp(0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::integer,
		        g % 50 <> 0,
		        now() - make_interval(mins => $3) - make_interval(secs => random() * $2 * 3600)
		   FROM generate_series(1, $1) g`,
		[rows, spreadHours, offsetMinutes],
	);
}

async function exact() {
	return db().query(
		`SELECT operation, count(*)::int AS calls, count(*) FILTER (WHERE NOT success)::int AS failures,
		        max(duration_ms) AS max_ms, percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
		   FROM performance_logs WHERE created_at >= now() - interval '24 hours' GROUP BY 1 ORDER BY 1`,
	);
}

beforeEach(async () => {
	await db().query('TRUNCATE performance_logs, performance_rollup, performance_rollup_histogram');
	await db().query(`UPDATE performance_rollup_state SET rolled_up_to = '-infinity', refreshed_at = NULL`);
});

describe('latency rollups', () => {
	it('bucket values: exact up to 15 ms, then within 4.5 %', async () => {
		const [row] = await db().query(
			`SELECT bool_and(performance_latency_bucket_value(performance_latency_bucket(d)) = d) FILTER (WHERE d <= 15) AS exact,
			        max(abs(performance_latency_bucket_value(performance_latency_bucket(d)) - d) / greatest(d, 1)) AS worst
			   FROM generate_series(0, 20000) d`,
		);
		expect(row.exact).toBe(true);
		expect(Number(row.worst)).toBeLessThanOrEqual(0.045);
	});

	it('the performance table matches the raw rows: exact counts, p95 within the bound', async () => {
		// 30 hours of rows but none within 12 minutes of the 24 h edge: the table and the exact count are
		// read a few ms apart, and a row crossing the edge in between made them differ by one
		await load(15_900, 23.8);
		await load(4100, 5.8, 24.2 * 60);
		const [refresh] = await db().query('SELECT * FROM refresh_performance_rollups()');
		expect(Number(refresh.minute_rows)).toBeGreaterThan(0);
		expect(Number(refresh.hour_rows)).toBeGreaterThan(0);
		// after the watermark (the start of the refresh's minute): read raw
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, success, created_at)
		                  SELECT 'get_context', 10 + g % 300, g % 7 <> 0, now() FROM generate_series(1, 300) g`);
		const table = await db().query(query('rollup_performance_by_operation'));
		const truth = await exact();
		expect(table.map(r => r.operation)).toEqual(truth.map(r => r.operation));
		for (const t of truth) {
			const r = table.find(x => x.operation === t.operation)!;
			expect(Number(r.total_calls)).toBe(t.calls);
			expect(Number(r.failed_calls)).toBe(t.failures);
			expect(Number(r.max_duration_ms)).toBe(t.max_ms);
			expect(Math.abs(Number(r.p95_duration_ms) - t.p95) / t.p95).toBeLessThanOrEqual(0.045);
		}
	});

	it('reads raw rows only when nothing is rolled up yet', async () => {
		await load(2000, 20);
		const table = await db().query(query('rollup_performance_by_operation'));
		const truth = await exact();
		expect(table.map(r => Number(r.total_calls))).toEqual(truth.map(r => r.calls));
	});

	it('counts rows that commit late within the grace window at the next refresh', async () => {
		await load(1000, 2, 10);
		await db().query('SELECT * FROM refresh_performance_rollups()');
		// a transaction that started 3 minutes ago commits now: created_at is below the watermark
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, created_at)
		                  SELECT 'get_context', 5, now() - interval '3 minutes' FROM generate_series(1, 40)`);
		await db().query('SELECT * FROM refresh_performance_rollups()');
		const table = await db().query(query('rollup_performance_by_operation'));
		const truth = await exact();
		expect(table.map(r => Number(r.total_calls))).toEqual(truth.map(r => r.calls));
	});

	it('the latency series adds up to the calls of its window and has a p95 per bucket with calls', async () => {
		await load(20_000, 26);
		await db().query('SELECT * FROM refresh_performance_rollups()');
		for (const hours of [1, 6, 24]) {
			const [{s, e}] = await db().query(`SELECT now() - make_interval(hours => $1) AS s, now() AS e`, [hours]);
			const series = await db().query(query('rollup_latency_series'), [s, e, 100]);
			const [{n}] = await db().query('SELECT count(*)::int AS n FROM performance_logs WHERE created_at >= $1 AND created_at < $2', [s, e]);
			const total = series.reduce((sum, r) => sum + Number(r.calls), 0);
			// rollup rows straddling the window's start are counted in proportion: off by at most one row's share
			expect(Math.abs(total - n) / n).toBeLessThan(hours === 24 ? 0.01 : 0.05);
			expect(series.every(r => r.bucket >= 0 && r.bucket < 100)).toBe(true);
			expect(series.every(r => r.p95_ms !== null && Number(r.p95_ms) >= 0)).toBe(true);
		}
	});

	it('a second refresh running at the same time does nothing', async () => {
		await load(500, 1);
		const a = await db().connect();
		try {
			await a.query('BEGIN');
			await a.query('SELECT * FROM refresh_performance_rollups()');
			const second = await db().query('SELECT * FROM refresh_performance_rollups()');
			expect(second).toHaveLength(0);
			await a.query('COMMIT');
		} finally {
			await a.end();
		}
	});
});
