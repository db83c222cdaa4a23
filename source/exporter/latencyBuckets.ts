// The exporter's latency histogram buckets, taken from the latency rollups'
// own histogram (sql/migrations/005_latency_rollups.sql): rollup bucket b >= 1
// holds durations in [2^((b-1)/8), 2^(b/8)) ms, bucket 0 holds 0 ms. Durations
// are whole milliseconds, so "at most L ms" is exactly a run of rollup buckets
// when L is the largest whole number of a bucket. Every 4th rollup bucket
// (two per doubling) gives a Prometheus bucket: le = 0, 1, 2, 3, 5, 7, 11, 15,
// 22, 31 ... 131071 ms, in seconds. A call is counted in the first `le` its
// rollup bucket's durations all fall under: nothing is interpolated.

/** The largest whole number of milliseconds rollup bucket b can hold. */
export function bucketMaxMs(bucket: number): number {
	if (bucket <= 0) return 0;
	return Math.ceil(2 ** (bucket / 8) - 1e-9) - 1;
}

/** Upper bounds (ms, inclusive) of the exporter's buckets, ascending, without repeats; +Inf comes after. */
export const latencyBoundsMs: readonly number[] = [
	...new Set(Array.from({length: 35}, (_, k) => bucketMaxMs(4 * k))),
];

/** Index in latencyBoundsMs of the bucket a rollup bucket's calls count under; latencyBoundsMs.length for +Inf. */
export function boundIndex(rollupBucket: number): number {
	const max = bucketMaxMs(rollupBucket);
	const index = latencyBoundsMs.findIndex(bound => max <= bound);
	return index === -1 ? latencyBoundsMs.length : index;
}
