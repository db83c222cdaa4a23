// The simulated server's own system_metrics, Prometheus-style: counters that
// only grow, gauges of the moment, and latency histograms as cumulative
// bucket counts (label `le`), each with labels.
import type {Operation, Outcome} from './latency.js';

export type MetricRow = {
	metric_name: string;
	metric_value: number;
	metric_type: 'counter' | 'gauge' | 'histogram';
	labels: Record<string, string>;
	recorded_at?: string;
};

export const latencyBucketsMs = [10, 50, 100, 500, 1000] as const;

export class MetricsRecorder {
	private readonly calls = new Map<string, number>();
	private readonly contextBytes = new Map<string, number>();
	private readonly handoffs = new Map<string, number>();
	private readonly buckets = new Map<Operation, number[]>();

	observe(operation: Operation, outcome: Outcome): void {
		const key = `${operation}\u0000${outcome.success ? 'success' : 'error'}`;
		this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
		let counts = this.buckets.get(operation);
		if (!counts) {
			counts = Array.from({length: latencyBucketsMs.length + 1}, () => 0);
			this.buckets.set(operation, counts);
		}

		latencyBucketsMs.forEach((le, index) => {
			if (outcome.durationMs <= le) counts[index]!++;
		});
		counts[latencyBucketsMs.length]!++;
	}

	context(contextType: string, bytes: number): void {
		this.contextBytes.set(contextType, (this.contextBytes.get(contextType) ?? 0) + bytes);
	}

	handoff(outcome: string): void {
		this.handoffs.set(outcome, (this.handoffs.get(outcome) ?? 0) + 1);
	}

	/** Every series at this moment; gauges come from the caller. */
	rows(gauges: MetricRow[], recordedAt?: Date): MetricRow[] {
		const at = recordedAt?.toISOString();
		const rows: MetricRow[] = [];
		for (const [key, value] of this.calls) {
			const [operation, outcome] = key.split('\u0000') as [string, string];
			rows.push({metric_name: 'handoff_operations_total', metric_value: value, metric_type: 'counter', labels: {operation, outcome}});
		}

		for (const [contextType, value] of this.contextBytes) {
			rows.push({metric_name: 'handoff_context_bytes_total', metric_value: value, metric_type: 'counter', labels: {context_type: contextType}});
		}

		for (const [outcome, value] of this.handoffs) {
			rows.push({metric_name: 'handoff_requests_total', metric_value: value, metric_type: 'counter', labels: {outcome}});
		}

		for (const [operation, counts] of this.buckets) {
			counts.forEach((count, index) => {
				const le = index < latencyBucketsMs.length ? String(latencyBucketsMs[index]) : '+Inf';
				rows.push({metric_name: 'handoff_operation_duration_ms', metric_value: count, metric_type: 'histogram', labels: {operation, le}});
			});
		}

		rows.push(...gauges);
		return at ? rows.map(row => ({...row, recorded_at: at})) : rows;
	}
}
