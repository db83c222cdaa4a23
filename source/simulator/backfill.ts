// An hour of history for a fresh demo database, so the monitor's latency
// sparklines and metric charts have a past to draw from the first second.
// Only time series are backfilled (performance_logs without a session,
// system_metrics); sessions and their lifecycle start live.
import type pg from 'pg';
import {sqlText} from '../db/sqlText.js';
import {defaultFaults, LatencyModel, type FaultOptions, type Operation} from './latency.js';
import {MetricsRecorder} from './metrics.js';
import {createRandom} from './random.js';

/** Typical share of calls per operation, as the workload produces them. */
const callMix: Record<Operation, number> = {
	update_context: 40,
	get_context: 18,
	register_session: 8,
	request_handoff: 6,
	accept_handoff: 5,
	reject_handoff: 1.5,
	complete_handoff: 4.5,
	update_session_status: 5,
	end_session: 3,
};

export type BackfillOptions = {
	minutes: number;
	/** Calls per second, on average, over the period. */
	rate: number;
	seed?: number;
	faults?: FaultOptions;
	now?: number;
};

export async function backfillHistory(client: pg.ClientBase, options: BackfillOptions): Promise<{performanceLogs: number; metricRows: number}> {
	const random = createRandom(options.seed ?? Date.now());
	const end = options.now ?? Date.now();
	const start = end - options.minutes * 60_000;
	const latency = new LatencyModel(random, options.faults ?? defaultFaults, start);
	const recorder = new MetricsRecorder();
	const logs: unknown[] = [];
	const metrics: unknown[] = [];
	let nextMetricsAt = start + 60_000;
	let sessions = 20;
	for (let t = start + random.exponential(1000 / options.rate); t < end; t += random.exponential(1000 / options.rate)) {
		// A slow swell and ebb of traffic over the hour.
		if (random.next() > 0.75 + 0.25 * Math.sin(((t - start) / 3_600_000) * 2 * Math.PI)) continue;
		const operation = random.weighted(callMix);
		const outcome = latency.sample(operation, t);
		recorder.observe(operation, outcome);
		logs.push({
			operation,
			duration_ms: outcome.durationMs,
			success: outcome.success,
			session_id: null,
			metadata: {simulated: true, backfill: true, ...(outcome.error ? {error: outcome.error} : {})},
			created_at: new Date(t).toISOString(),
		});
		while (t >= nextMetricsAt) {
			sessions = Math.max(5, sessions + random.int(-3, 3));
			metrics.push(
				...recorder.rows(
					[{metric_name: 'handoff_sessions', metric_value: sessions, metric_type: 'gauge', labels: {state: 'active'}}],
					new Date(nextMetricsAt),
				),
			);
			nextMetricsAt += 60_000;
		}
	}

	for (let i = 0; i < logs.length; i += 5000) {
		await client.query(sqlText('simulator/insert_performance_logs'), [JSON.stringify(logs.slice(i, i + 5000))]);
	}

	if (metrics.length > 0) await client.query(sqlText('simulator/insert_system_metrics'), [JSON.stringify(metrics)]);
	return {performanceLogs: logs.length, metricRows: metrics.length};
}
