// The exporter's histogram buckets against migration 005's bucket function,
// in the database: for every whole millisecond up to past the last bound, a
// call is counted under `le` exactly when it is at most `le` long.
import {describe, expect, it} from 'vitest';
import {boundIndex, latencyBoundsMs} from '../../source/exporter/latencyBuckets.js';
import {useTestDatabase} from '../helpers/database.js';

const db = useTestDatabase();

describe('exporter latency buckets', () => {
	it('are the rollup buckets: exact cumulative counts for every duration 0-140 000 ms', async () => {
		expect(latencyBoundsMs.slice(0, 10)).toEqual([0, 1, 2, 3, 5, 7, 11, 15, 22, 31]);
		expect(latencyBoundsMs.at(-1)).toBe(131_071);
		const rows = await db().query<{d: number; b: number}>(`SELECT d, performance_latency_bucket(d)::int AS b FROM generate_series(0, 140000) d`);
		expect(rows).toHaveLength(140_001);
		const wrong: string[] = [];
		for (const {d, b} of rows) {
			const index = boundIndex(b);
			// counted in bucket `index`: at most that bound, and above the one before
			const upper = latencyBoundsMs[index] ?? Number.POSITIVE_INFINITY;
			const lower = index === 0 ? -1 : latencyBoundsMs[index - 1]!;
			if (!(d <= upper && d > lower)) wrong.push(`${d} ms (rollup bucket ${b}) counted under le=${upper}`);
		}

		expect(wrong.slice(0, 5)).toEqual([]);
	});
});
