// The performance screen.
//   performanceTable(client, {threshold}) → PerformanceRow[]  (threshold: success-rate %, e.g. 95)
//   latencySeries(client, {window: '1h'|'6h'|'24h', points}) → LatencySeries
// Both read the latency rollups of migration 005 plus the raw rows after the
// rollup watermark, never a whole window of raw rows: counts, averages and
// extremes are exact, p95 is within 4.5 % of the exact nearest-rank p95.
// (performance_by_operation.sql and latency_series.sql are the exact versions
// the benchmarks compare against.)
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';
import {chartWindowNames, chartWindows, type ChartWindow} from './common.js';

const performanceRow = z
	.object({
		operation: z.string(),
		total_calls: z.coerce.number(),
		successful_calls: z.coerce.number(),
		failed_calls: z.coerce.number(),
		success_rate_percent: z.coerce.number(),
		avg_duration_ms: z.coerce.number(),
		min_duration_ms: z.coerce.number(),
		max_duration_ms: z.coerce.number(),
		p95_duration_ms: z.coerce.number(),
		last_call_at: z.date(),
	})
	.transform(row => ({
		operation: row.operation,
		calls: row.total_calls,
		successfulCalls: row.successful_calls,
		failedCalls: row.failed_calls,
		successRatePercent: row.success_rate_percent,
		avgMs: row.avg_duration_ms,
		minMs: row.min_duration_ms,
		maxMs: row.max_duration_ms,
		p95Ms: row.p95_duration_ms,
		lastCallAt: row.last_call_at,
	}));
export type PerformanceRow = z.output<typeof performanceRow> & {belowThreshold: boolean};

export const thresholdSchema = z.number().min(0).max(100);

export async function performanceTable(client: pg.ClientBase, options: {threshold: number}): Promise<PerformanceRow[]> {
	const threshold = thresholdSchema.parse(options.threshold);
	const {rows} = await client.query(sqlText('queries/rollup_performance_by_operation'));
	return rows.map(row => {
		const parsed = performanceRow.parse(row);
		return {...parsed, belowThreshold: parsed.successRatePercent < threshold};
	});
}

export const seriesParams = z.strictObject({
	window: z.enum(chartWindowNames as [ChartWindow, ...ChartWindow[]]),
	points: z.number().int().min(1).max(1000),
});

const windowRow = z.object({starts_at: z.date(), ends_at: z.date()});

/** Start and end of a chart window by the server's clock. */
export async function seriesWindow(client: pg.ClientBase, window: ChartWindow): Promise<{startsAt: Date; endsAt: Date}> {
	const {rows} = await client.query(sqlText('queries/series_window'), [chartWindows[window]]);
	const row = windowRow.parse(rows[0]);
	return {startsAt: row.starts_at, endsAt: row.ends_at};
}

const latencyRow = z.object({
	operation: z.string(),
	bucket: z.number().int(),
	calls: z.coerce.number(),
	failures: z.coerce.number(),
	p95_ms: z.coerce.number().nullable(),
});

export type LatencySeries = {
	window: ChartWindow;
	startsAt: Date;
	endsAt: Date;
	/** Width of one bucket. */
	bucketMs: number;
	/** One entry per operation with calls in the window, by name. Arrays have `points` entries, oldest first. */
	operations: Array<{
		operation: string;
		/** p95 latency per bucket; null where the bucket had no calls. */
		p95Ms: Array<number | null>;
		/** Calls per minute in each bucket. */
		callsPerMinute: number[];
		calls: number[];
		failures: number[];
	}>;
};

export async function latencySeries(
	client: pg.ClientBase,
	options: z.input<typeof seriesParams>,
): Promise<LatencySeries> {
	const p = seriesParams.parse(options);
	const {startsAt, endsAt} = await seriesWindow(client, p.window);
	const bucketMs = (endsAt.getTime() - startsAt.getTime()) / p.points;
	const {rows} = await client.query(sqlText('queries/rollup_latency_series'), [startsAt, endsAt, p.points]);
	const byOperation = new Map<string, LatencySeries['operations'][number]>();
	for (const raw of rows) {
		const row = latencyRow.parse(raw);
		let entry = byOperation.get(row.operation);
		if (!entry) {
			entry = {
				operation: row.operation,
				p95Ms: Array.from({length: p.points}, () => null),
				callsPerMinute: Array.from({length: p.points}, () => 0),
				calls: Array.from({length: p.points}, () => 0),
				failures: Array.from({length: p.points}, () => 0),
			};
			byOperation.set(row.operation, entry);
		}

		if (row.bucket < 0 || row.bucket >= p.points) continue;
		entry.p95Ms[row.bucket] = row.p95_ms;
		entry.calls[row.bucket] = row.calls;
		entry.failures[row.bucket] = row.failures;
		entry.callsPerMinute[row.bucket] = Math.round((row.calls / (bucketMs / 60_000)) * 100) / 100;
	}

	return {window: p.window, startsAt, endsAt, bucketMs, operations: [...byOperation.values()]};
}
