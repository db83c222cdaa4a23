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
		'Sessions by lifecycle state: active (neither dormant nor archived), dormant (not archived), archived; exact up to 10000 sessions, above estimated from a block sample (handoff_top_sessions_sampled_ratio)',
		['database', 'state'],
	);
	const sessionsByStatus = gauge(
		'handoff_top_sessions_by_status',
		"Sessions by their status column ('other': statuses past the first 50); exact up to 10000 sessions, above estimated from a block sample (handoff_top_sessions_sampled_ratio)",
		['database', 'status'],
	);
	const sessionsSampled = gauge(
		'handoff_top_sessions_sampled_ratio',
		"Share of the sessions table's blocks the session gauges were read from: 1 = every session counted, below 1 = a block sample of about 10000 rows (the same blocks each scrape) scaled to the statistics' live row count",
		['database'],
	);
	const databaseBytes = gauge('handoff_top_storage_database_bytes', 'Size of the database (pg_database_size)', ['database']);
	const tableBytes = gauge(
		'handoff_top_storage_table_bytes',
		"Size of a table of the handoff schema with its indexes and TOAST (pg_total_relation_size; a partitioned table: its partitions' sum)",
		['database', 'table'],
	);
	const tableRows = gauge(
		'handoff_top_storage_table_rows',
		"Rows of a table of the handoff schema by the planner's estimate (pg_class.reltuples; the statistics' live rows before the first ANALYZE): an estimate, not a count",
		['database', 'table'],
	);
	const growth = gauge(
		'handoff_top_storage_growth_bytes_per_second',
		"Net growth of the database now, as the Storage screen measures it (each table's bytes over its rows' age, 0 once retention removes what arrives)",
		['database'],
	);
	const capacity = gauge(
		'handoff_top_storage_capacity_bytes',
		"The most the database may take: --storage-limit (ceiling=limit), or its size plus the server disk's free space where it can be read (ceiling=disk)",
		['database', 'ceiling'],
	);
	const timeLeft = gauge(
		'handoff_top_storage_time_left_seconds',
		'Time until the database reaches the ceiling at the measured growth, as the Storage screen forecasts it (+Inf: not at this rate)',
		['database', 'ceiling'],
	);
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
	const all = [up, lastSuccess, readDuration, sessions, sessionsByStatus, sessionsSampled, events, calls, failures, duration, feedLag, schema];
	const storageMetrics = [databaseBytes, tableBytes, tableRows, growth, capacity, timeLeft];

	return {
		contentType: registry.contentType,
		/** The text of one scrape. Values the database did not give this time (it is down) are left out; counters keep their totals. */
		async render(databases: DatabaseView[]): Promise<string> {
			for (const metric of [...all, ...storageMetrics]) metric.reset();
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
				sessionsSampled.set(database, reading.sessionsSampledShare);
				feedLag.set(database, reading.feedLagSeconds);
				const storage = reading.storage;
				if (!storage) continue;
				databaseBytes.set(database, storage.databaseBytes);
				for (const t of storage.tables) {
					tableBytes.set({database: name, table: t.table}, t.totalBytes);
					if (t.rowEstimate !== null) tableRows.set({database: name, table: t.table}, t.rowEstimate);
				}

				growth.set(database, storage.growthBytesPerDay / 86_400);
				for (const c of storage.ceilings) {
					capacity.set({database: name, ceiling: c.kind}, c.capacityBytes);
					timeLeft.set({database: name, ceiling: c.kind}, c.daysLeft === null ? Number.POSITIVE_INFINITY : c.daysLeft * 86_400);
				}
			}

			return registry.metrics();
		},
	};
}
