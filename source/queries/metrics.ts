// The metrics screen.
//   metricsLatest(client, {withinHours?}) → MetricLatest[]  latest value per (name, labels), seen in the last 24 h by default
//   metricSeries(client, {name, labels?, window, points}) → MetricSeries  avg/max/last per bucket, null where empty
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';
import {chartWindowNames, type ChartWindow} from './common.js';
import {seriesWindow} from './performance.js';

const latestRow = z
	.object({
		metric_name: z.string(),
		// NULL where the handoff server's own table allows it (labels nullable, metric_type unchecked)
		labels: z.record(z.string(), z.unknown()).nullable().transform(labels => labels ?? {}),
		metric_type: z.string(),
		metric_value: z.coerce.number(),
		recorded_at: z.date(),
	})
	.transform(row => ({
		name: row.metric_name,
		labels: row.labels,
		type: row.metric_type,
		value: row.metric_value,
		recordedAt: row.recorded_at,
	}));
export type MetricLatest = z.output<typeof latestRow>;

export async function metricsLatest(client: pg.ClientBase, options: {withinHours?: number} = {}): Promise<MetricLatest[]> {
	const hours = z.number().positive().max(24 * 365).parse(options.withinHours ?? 24);
	const {rows} = await client.query(sqlText('queries/metrics_latest'), [hours]);
	return rows.map(row => latestRow.parse(row)).sort(byNameAndLabels);
}

/** A label value as a number when it is one ('10', '0.5', '+Inf'): histogram buckets sort numerically. */
function labelNumber(value: unknown): number | undefined {
	if (typeof value === 'number') return value;
	if (typeof value !== 'string') return undefined;
	if (/^\+?inf$/i.test(value)) return Number.POSITIVE_INFINITY;
	if (/^-inf$/i.test(value)) return Number.NEGATIVE_INFINITY;
	return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined;
}

/** By name, then label by label: numbers (le=10 < le=100 < le=+Inf) numerically, other values as text. */
export function byNameAndLabels(a: MetricLatest, b: MetricLatest): number {
	if (a.name !== b.name) return a.name < b.name ? -1 : 1;
	const keys = [...new Set([...Object.keys(a.labels), ...Object.keys(b.labels)])].sort();
	for (const key of keys) {
		const x = a.labels[key];
		const y = b.labels[key];
		if (x === y) continue;
		if (x === undefined) return -1;
		if (y === undefined) return 1;
		const nx = labelNumber(x);
		const ny = labelNumber(y);
		if (nx !== undefined && ny !== undefined && nx !== ny) return nx - ny;
		const sx = typeof x === 'string' ? x : JSON.stringify(x);
		const sy = typeof y === 'string' ? y : JSON.stringify(y);
		if (sx !== sy) return sx < sy ? -1 : 1;
	}

	return 0;
}

const seriesParams = z.strictObject({
	name: z.string().min(1).max(255),
	labels: z.record(z.string(), z.unknown()).optional(),
	window: z.enum(chartWindowNames as [ChartWindow, ...ChartWindow[]]),
	points: z.number().int().min(1).max(1000),
});

const seriesRow = z.object({
	bucket: z.number().int(),
	avg_value: z.coerce.number(),
	max_value: z.coerce.number(),
	last_value: z.coerce.number(),
	samples: z.coerce.number(),
});

export type MetricSeries = {
	name: string;
	labels?: Record<string, unknown>;
	window: ChartWindow;
	startsAt: Date;
	endsAt: Date;
	bucketMs: number;
	/** `points` entries, oldest first; null where no sample fell in the bucket. */
	avg: Array<number | null>;
	max: Array<number | null>;
	last: Array<number | null>;
	samples: number[];
};

/** A counter's increase per minute, bucket by bucket, from each bucket's last
 * value: the change since the previous bucket with a sample, over the time
 * between them. A drop is a restart from zero (the new value is the increase).
 * The first bucket with a sample has nothing to compare with: null. */
export function counterRatePerMinute(last: Array<number | null>, bucketMs: number): Array<number | null> {
	const minutes = bucketMs / 60_000;
	let previous: {value: number; index: number} | undefined;
	return last.map((value, index) => {
		if (value === null) return null;
		const rate = previous === undefined ? null : (value >= previous.value ? value - previous.value : value) / ((index - previous.index) * minutes);
		previous = {value, index};
		return rate;
	});
}

export async function metricSeries(client: pg.ClientBase, options: z.input<typeof seriesParams>): Promise<MetricSeries> {
	const p = seriesParams.parse(options);
	const {startsAt, endsAt} = await seriesWindow(client, p.window);
	const {rows} = await client.query(sqlText('queries/metric_series'), [
		p.name,
		p.labels === undefined ? null : JSON.stringify(p.labels),
		startsAt,
		endsAt,
		p.points,
	]);
	const empty = () => Array.from({length: p.points}, (): number | null => null);
	const series: MetricSeries = {
		name: p.name,
		...(p.labels ? {labels: p.labels} : {}),
		window: p.window,
		startsAt,
		endsAt,
		bucketMs: (endsAt.getTime() - startsAt.getTime()) / p.points,
		avg: empty(),
		max: empty(),
		last: empty(),
		samples: Array.from({length: p.points}, () => 0),
	};
	for (const raw of rows) {
		const row = seriesRow.parse(raw);
		if (row.bucket < 0 || row.bucket >= p.points) continue;
		series.avg[row.bucket] = row.avg_value;
		series.max[row.bucket] = row.max_value;
		series.last[row.bucket] = row.last_value;
		series.samples[row.bucket] = row.samples;
	}

	return series;
}
