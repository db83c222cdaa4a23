// The exporter's metrics, formatted by prom-client (the Prometheus text
// format, version 0.0.4). Every series carries database="<name>" and the
// --label pairs; none is per session: series are bounded by databases ×
// (operations, event types, statuses: each capped, databaseCollector.ts) ×
// latency buckets.
import client from 'prom-client';
import type {CollectorStatus, CounterState} from './databaseCollector.js';
import {specEventTypes} from '../feed/eventFeed.js';
import {latencyBoundsMs} from './latencyBuckets.js';

export const schemaStates = ['current', 'outdated', 'changed', 'newer', 'missing'] as const;

export type DatabaseView = {name: string; status: CollectorStatus; counters: CounterState};

type HistogramValue = {metricName: string; labels: Record<string, string | number>; value: number};

/**
 * A histogram whose buckets are read from the database's rollup buckets, not
 * observed one call at a time: prom-client's Histogram only takes single
 * observations, so this hands the registry its values in the shape it formats.
 */
class RollupHistogram {
	readonly type = 'histogram';
	readonly aggregator = 'sum';
	values: HistogramValue[] = [];
	constructor(
		readonly name: string,
		readonly help: string,
	) {}

	async get() {
		return {name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values};
	}

	reset(): void {
		this.values = [];
	}
}

export function createExporterMetrics(constantLabels: Record<string, string>) {
	const registry = new client.Registry();
	registry.setDefaultLabels(constantLabels);
	const registers = [registry];
	const gauge = (name: string, help: string, labelNames: string[]) => new client.Gauge({name, help, labelNames, registers});
	const counter = (name: string, help: string, labelNames: string[]) => new client.Counter({name, help, labelNames, registers});
	const up = gauge('handoff_top_up', '1 when the last read of the database succeeded, else 0', ['database']);
	const lastSuccess = gauge('handoff_top_last_success_timestamp_seconds', 'When the database was last read successfully (Unix time)', ['database']);
	const readDuration = gauge('handoff_top_read_duration_seconds', 'How long the last read of the database took', ['database']);
	const sessions = gauge(
		'handoff_top_sessions',
		'Sessions by lifecycle state: active (neither dormant nor archived), dormant (not archived), archived',
		['database', 'state'],
	);
	const sessionsByStatus = gauge('handoff_top_sessions_by_status', "Sessions by their status column ('other': statuses past the first 50)", ['database', 'status']);
	const events = counter('handoff_top_lifecycle_events_total', 'Lifecycle events by type, counted by the event feed cursor (every row once)', ['database', 'event_type']);
	const calls = counter('handoff_top_operation_calls_total', 'Calls logged in performance_logs, by operation', ['database', 'operation']);
	const failures = counter('handoff_top_operation_failures_total', 'Failed calls logged in performance_logs, by operation', ['database', 'operation']);
	const duration = new RollupHistogram(
		'handoff_top_operation_duration_seconds',
		'Call latency by operation, in the latency rollups buckets (two per doubling, whole milliseconds)',
	);
	registry.registerMetric(duration as unknown as client.Metric);
	const feedLag = gauge('handoff_top_feed_lag_seconds', 'How long committed lifecycle events have been held back by a running transaction (0: none)', ['database']);
	const schema = gauge(
		'handoff_top_schema_state',
		'The schema classifier state (1 for the current one): current, outdated, changed (drift), newer, missing',
		['database', 'state'],
	);
	const all = [up, lastSuccess, readDuration, sessions, sessionsByStatus, events, calls, failures, duration, feedLag, schema];

	return {
		contentType: registry.contentType,
		/** The text of one scrape. Values the database did not give this time (it is down) are left out; counters keep their totals. */
		async render(databases: DatabaseView[]): Promise<string> {
			for (const metric of all) metric.reset();
			for (const {name, status, counters} of databases) {
				const database = {database: name};
				up.set(database, status.up ? 1 : 0);
				if (status.lastSuccessAt) lastSuccess.set(database, status.lastSuccessAt.getTime() / 1000);
				if (status.durationSeconds !== undefined) readDuration.set(database, status.durationSeconds);
				// once counted (never a 0 before the first read: the first count is the database's own), the spec's six
				// types are there from 0, so that rate() and increase() see the first one
				if (counters.horizon !== undefined) {
					for (const type of specEventTypes) if (!Object.hasOwn(counters.events, type)) events.inc({database: name, event_type: type}, 0);
				}

				for (const [type, total] of Object.entries(counters.events)) events.inc({database: name, event_type: type}, total);
				for (const [operation, totals] of Object.entries(counters.operations)) {
					calls.inc({database: name, operation}, totals.calls);
					failures.inc({database: name, operation}, totals.failures);
					let cumulative = 0;
					for (const [index, bound] of latencyBoundsMs.entries()) {
						cumulative += totals.buckets[index] ?? 0;
						duration.values.push({metricName: `${duration.name}_bucket`, labels: {database: name, operation, le: bound / 1000}, value: cumulative});
					}

					duration.values.push(
						{metricName: `${duration.name}_bucket`, labels: {database: name, operation, le: '+Inf'}, value: totals.calls},
						{metricName: `${duration.name}_sum`, labels: {database: name, operation}, value: totals.sumMs / 1000},
						{metricName: `${duration.name}_count`, labels: {database: name, operation}, value: totals.calls},
					);
				}

				const reading = status.up ? status.reading : undefined;
				if (!reading) continue;
				for (const state of schemaStates) schema.set({database: name, state}, reading.schema === state ? 1 : 0);
				if (reading.schema === 'missing') continue;
				let archived = 0;
				let dormant = 0;
				let total = 0;
				for (const row of reading.sessions) {
					sessionsByStatus.set({database: name, status: row.status}, row.sessions);
					archived += row.archived;
					dormant += row.dormant;
					total += row.sessions;
				}

				sessions.set({database: name, state: 'active'}, total - archived - dormant);
				sessions.set({database: name, state: 'dormant'}, dormant);
				sessions.set({database: name, state: 'archived'}, archived);
				feedLag.set(database, reading.feedLagSeconds);
			}

			return registry.metrics();
		},
	};
}
