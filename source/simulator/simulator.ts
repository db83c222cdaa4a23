// Runs the workload model against a database at a given rate: each operation
// is one statement from sql/simulator, its performance_logs row goes into a
// batch, and on a schedule the runner sweeps (lifecycle_sweep) and records
// system_metrics. The sweep runs at a barrier - no operation in flight - and
// its results tell the clients which sessions were archived, so the simulator
// does not write to read-only sessions; one archived by somebody else's sweep
// (pg_cron) is skipped when its write fails with SQLSTATE 25006.
import pg from 'pg';
import {sqlText} from '../db/sqlText.js';
import {isStatementError} from '../monitor/monitorDatabase.js';
import {contextContent} from './content.js';
import {defaultFaults, LatencyModel, type FaultOptions, type Operation, type Outcome} from './latency.js';
import {MetricsRecorder, type MetricRow} from './metrics.js';
import {createRandom, type Random} from './random.js';
import {defaultWorkload, Workload, type Action, type SimSession, type WorkloadOptions} from './workload.js';

export const demoPolicyName = 'demo';

export type SimulatorOptions = {
	/** Connection settings for the simulator's pool (see resolveConnection). */
	connection: pg.PoolConfig;
	/** Operations per second (Poisson arrivals). */
	rate: number;
	concurrency?: number;
	durationMs?: number;
	/** Stop after this many operations. */
	maxOperations?: number;
	sweepIntervalMs?: number;
	metricsIntervalMs?: number;
	flushIntervalMs?: number;
	seed?: number;
	workload?: Partial<WorkloadOptions>;
	faults?: FaultOptions;
	signal?: AbortSignal;
};

export type SweepTally = {expire: number; dormant: number; archive: number; purge: number};

export type SimulatorStats = {
	operations: number;
	byOperation: Partial<Record<Operation, number>>;
	/** Operations the latency model failed (logged with success = false; nothing written). */
	modelledFailures: number;
	sweeps: number;
	swept: SweepTally;
	/** Writes skipped because the session had been archived meanwhile. */
	readOnlySkips: number;
	performanceLogs: number;
	metricRows: number;
	/** Unexpected database errors. */
	errors: number;
	/** Times the database went away (a restart, a network drop) and the simulator waited and carried on. */
	reconnects: number;
	lastError?: string;
	elapsedMs: number;
};

type PerformanceRow = {
	operation: string;
	duration_ms: number;
	success: boolean;
	session_id: string | null;
	metadata: Record<string, unknown>;
	created_at?: string;
};

const sleep = async (ms: number, signal?: AbortSignal) =>
	new Promise<void>(resolve => {
		if (signal?.aborted) return resolve();
		const timer = setTimeout(done, ms);
		function done() {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		}

		signal?.addEventListener('abort', done, {once: true});
	});

/** Sets up what the simulator needs in a database that has the handoff schema:
 * its short-lived retention policy. */
export async function prepareDatabase(client: pg.ClientBase, workload: Partial<WorkloadOptions> = {}): Promise<void> {
	const policy = {...defaultWorkload, ...workload}.policy;
	await client.query(sqlText('simulator/upsert_demo_policy'), [
		demoPolicyName,
		policy.sessionTtlMs,
		policy.dormantAfterMs,
		policy.archiveAfterMs,
		policy.purgeAfterMs,
	]);
}

export class Simulator {
	readonly stats: SimulatorStats = {
		operations: 0,
		byOperation: {},
		modelledFailures: 0,
		sweeps: 0,
		swept: {expire: 0, dormant: 0, archive: 0, purge: 0},
		readOnlySkips: 0,
		performanceLogs: 0,
		metricRows: 0,
		errors: 0,
		reconnects: 0,
		elapsedMs: 0,
	};

	private readonly pool: pg.Pool;
	private readonly random: Random;
	private readonly workload: Workload;
	private readonly latency: LatencyModel;
	private readonly metrics = new MetricsRecorder();
	private readonly stop = new AbortController();
	private perfBuffer: PerformanceRow[] = [];
	private reserved = 0;
	private inFlight = 0;
	private gate: Promise<void> | undefined;
	/** While the database is away: workers wait here instead of failing (see recover). */
	private outage: Promise<void> | undefined;
	private onIdle: (() => void) | undefined;
	private nextArrival = 0;
	private consecutiveErrors = 0;
	private fatal: unknown;

	constructor(private readonly options: SimulatorOptions) {
		this.random = createRandom(options.seed ?? Date.now());
		this.workload = new Workload(this.random, {...defaultWorkload, ...options.workload});
		this.latency = new LatencyModel(this.random, options.faults ?? defaultFaults);
		this.pool = new pg.Pool({...options.connection, max: (options.concurrency ?? 4) + 2});
		this.pool.on('error', () => {});
		options.signal?.addEventListener('abort', () => this.stop.abort(), {once: true});
	}

	/** Runs until the duration, the operation count or the signal ends it. */
	async run(): Promise<SimulatorStats> {
		const started = performance.now();
		if (this.options.signal?.aborted) this.stop.abort();
		let deadline: NodeJS.Timeout | undefined;
		if (this.options.durationMs !== undefined) deadline = setTimeout(() => this.stop.abort(), this.options.durationMs);
		this.nextArrival = performance.now();
		const timers = [
			this.every(this.options.sweepIntervalMs ?? 5000, async () => this.sweep()),
			this.every(this.options.metricsIntervalMs ?? 5000, async () => this.recordMetrics()),
			this.every(this.options.flushIntervalMs ?? 500, async () => this.flush()),
		];
		try {
			const workers = Array.from({length: this.options.concurrency ?? 4}, async () => this.worker());
			await Promise.all(workers);
			this.stop.abort();
			await Promise.all(timers);
			if (this.fatal) throw this.fatal;
			// A last sweep and the final metrics, so a bounded run leaves a complete picture.
			await this.sweep();
			await this.recordMetrics();
			await this.flush();
		} finally {
			clearTimeout(deadline);
			this.stop.abort();
			this.stats.elapsedMs = Math.round(performance.now() - started);
			await this.pool.end().catch(() => {});
		}

		return this.stats;
	}

	/** Asks a running simulator to stop; run() resolves once it has. */
	halt(): void {
		this.stop.abort();
	}

	private async every(intervalMs: number, task: () => Promise<void>): Promise<void> {
		const {signal} = this.stop;
		while (!signal.aborted) {
			await sleep(intervalMs, signal);
			if (signal.aborted) break;
			try {
				await task();
			} catch (error) {
				this.failed(error);
			}
		}
	}

	private async worker(): Promise<void> {
		const {signal} = this.stop;
		for (;;) {
			if (signal.aborted) return;
			const max = this.options.maxOperations;
			if (max !== undefined && this.reserved >= max) return;
			this.reserved++;
			// Poisson arrivals at the configured rate; a backlog of at most a quarter second is caught up.
			const now = performance.now();
			this.nextArrival = Math.max(this.nextArrival, now - 250) + this.random.exponential(1000 / this.options.rate);
			if (this.nextArrival - now > 1) await sleep(this.nextArrival - now, signal);
			if (signal.aborted) return;
			while (this.gate || this.outage) await (this.outage ?? this.gate);
			const action = this.workload.next(Date.now());
			const session = 'session' in action ? action.session : undefined;
			if (session) session.busy = true;
			this.inFlight++;
			try {
				await this.execute(action);
				this.consecutiveErrors = 0;
			} catch (error) {
				this.failed(error, session);
			} finally {
				if (session) session.busy = false;
				this.inFlight--;
				if (this.inFlight === 0) this.onIdle?.();
			}
		}
	}

	private failed(error: unknown, session?: SimSession): void {
		const code = (error as {code?: string})?.code;
		if (code === '25006') {
			// Archived by a sweep we did not run: read-only from now on.
			this.stats.readOnlySkips++;
			if (session) this.workload.forget(session.id);
			return;
		}

		// The connection went, not the statement: wait for the database like the monitor does, do not count it as the workload's error.
		if (!isStatementError(error) && !this.stop.signal.aborted) {
			this.outage ??= this.recover(error).finally(() => {
				this.outage = undefined;
			});
			return;
		}

		this.countError(error);
	}

	/** Retries (0.25 s doubling to 5 s) until the database answers; an error the database was not away for counts as any other. */
	private async recover(error: unknown): Promise<void> {
		const {signal} = this.stop;
		let delay = 250;
		let waited = false;
		while (!signal.aborted) {
			try {
				await this.pool.query(sqlText('simulator/ping'));
				if (waited) this.stats.reconnects++;
				else this.countError(error);
				return;
			} catch (pingError) {
				waited = true;
				this.stats.lastError = pingError instanceof Error ? pingError.message : String(pingError);
				await sleep(delay, signal);
				delay = Math.min(delay * 2, 5000);
			}
		}
	}

	private countError(error: unknown): void {
		this.stats.errors++;
		this.stats.lastError = error instanceof Error ? error.message : String(error);
		// A database that went away: stop instead of spinning.
		if (++this.consecutiveErrors >= 20 && !this.stop.signal.aborted) {
			this.fatal = error;
			this.stop.abort();
		}
	}

	private log(operation: string, outcome: Pick<Outcome, 'durationMs' | 'success' | 'error'>, session: SimSession | null, extra: Record<string, unknown> = {}): void {
		const metadata: Record<string, unknown> = {simulated: true, ...extra};
		if (session) metadata['agent'] = session.agentFrom;
		if (outcome.error) metadata['error'] = outcome.error;
		this.perfBuffer.push({operation, duration_ms: outcome.durationMs, success: outcome.success, session_id: session?.id ?? null, metadata});
		if (this.perfBuffer.length >= 500) void this.flush().catch(error => this.failed(error));
	}

	private async execute(action: Action): Promise<void> {
		const operation: Operation = action.kind;
		const now = Date.now();
		const outcome = this.latency.sample(operation, now);
		this.metrics.observe(operation, outcome);
		this.stats.operations++;
		this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
		const session = 'session' in action ? action.session : null;
		if (!outcome.success) {
			this.stats.modelledFailures++;
			this.log(operation, outcome, session, action.kind === 'register_session' ? {agent: action.agentFrom} : {});
			return;
		}

		const q = async (name: string, values: unknown[]) => (await this.pool.query(sqlText(`simulator/${name}`), values)).rows;
		switch (action.kind) {
			case 'register_session': {
				const [row] = await q('register_session', [
					action.key,
					action.agentFrom,
					action.agentTo,
					action.policy,
					action.expiresInMs,
					JSON.stringify(action.metadata),
				]);
				const created = this.workload.addSession(action, String(row!.id), now);
				this.log(operation, outcome, created, {policy: action.policy});
				return;
			}

			case 'update_context': {
				const s = action.session;
				const rows = await q('append_context', [
					s.id,
					s.nextSequence,
					action.contextType,
					contextContent(action.contextType, action.sizeBytes, s.nextSequence),
					JSON.stringify({agent: s.agentTo ?? s.agentFrom, tokens: Math.round(action.sizeBytes / 4)}),
					action.processingMs,
				]);
				if (rows.length === 0) return this.archivedMeanwhile(s);
				s.nextSequence++;
				this.workload.touched(s, now);
				this.metrics.context(action.contextType, action.sizeBytes);
				this.log(operation, outcome, s, {context_type: action.contextType, bytes: action.sizeBytes, ...(action.wake ? {resumed: true} : {})});
				return;
			}

			case 'get_context': {
				await q('read_context', [action.session.id, action.limit]);
				this.log(operation, outcome, action.session, {limit: action.limit});
				return;
			}

			case 'request_handoff': {
				const s = action.session;
				const rows = await q('request_handoff', [
					s.id,
					s.agentTo ?? s.agentFrom,
					action.target,
					action.requestType,
					JSON.stringify({reason: action.requestType, context_entries: s.nextSequence - 1}),
				]);
				if (rows.length === 0) return this.archivedMeanwhile(s);
				s.handoffs.push({id: String(rows[0]!.id), status: 'pending', target: action.target});
				this.workload.touched(s, now);
				this.metrics.handoff('requested');
				this.log(operation, outcome, s, {target: action.target, request_type: action.requestType});
				return;
			}

			case 'accept_handoff':
			case 'reject_handoff':
			case 'complete_handoff': {
				const s = action.session;
				const [from, to] =
					action.kind === 'accept_handoff' ? ['pending', 'accepted'] : action.kind === 'reject_handoff' ? ['pending', 'rejected'] : ['accepted', 'completed'];
				const rows = await q('resolve_handoff', [action.handoffId, from, to]);
				const index = s.handoffs.findIndex(h => h.id === action.handoffId);
				const handoff = s.handoffs[index];
				if (rows.length === 0) {
					if (handoff) s.handoffs.splice(index, 1);
					return this.archivedMeanwhile(s);
				}

				if (to === 'accepted' && handoff) handoff.status = 'accepted';
				else if (index >= 0) s.handoffs.splice(index, 1);
				if (to === 'completed' && handoff) s.agentTo = handoff.target;
				this.workload.touched(s, now);
				this.metrics.handoff(to);
				this.log(operation, outcome, s, {handoff_id: action.handoffId});
				return;
			}

			case 'update_session_status':
			case 'end_session': {
				const s = action.session;
				const rows = await q('set_session_status', [s.id, action.from, action.to]);
				if (rows.length === 0) return this.archivedMeanwhile(s);
				s.status = action.to;
				this.workload.touched(s, now);
				this.log(operation, outcome, s, {from: action.from, to: action.to});
				return;
			}
		}
	}

	/** The statement matched nothing: the session was archived (or purged) meanwhile. */
	private archivedMeanwhile(session: SimSession): void {
		this.stats.readOnlySkips++;
		this.workload.forget(session.id);
	}

	private async flush(): Promise<void> {
		if (this.perfBuffer.length === 0) return;
		const batch = JSON.stringify(this.perfBuffer);
		const count = this.perfBuffer.length;
		this.perfBuffer = [];
		try {
			await this.pool.query(sqlText('simulator/insert_performance_logs'), [batch]);
		} catch (error) {
			// A session purged while this insert waited for its row lock: once more, and the
			// statement's join logs those rows without their session.
			if ((error as {code?: string}).code !== '23503') throw error;
			await this.pool.query(sqlText('simulator/insert_performance_logs'), [batch]);
		}

		this.stats.performanceLogs += count;
	}

	/** One sweep at a barrier: waits for in-flight operations, sweeps, tells the clients. */
	async sweep(): Promise<void> {
		let release!: () => void;
		this.gate = new Promise(resolve => {
			release = resolve;
		});
		try {
			if (this.inFlight > 0) {
				await new Promise<void>(resolve => {
					this.onIdle = resolve;
				});
			}

			this.onIdle = undefined;
			await this.flush();
			const started = performance.now();
			const {rows} = await this.pool.query<{action: keyof SweepTally; session_id: string}>(sqlText('simulator/run_sweep'), [10_000]);
			await this.pool.query(sqlText('sweep/refresh_rollups'));
			const durationMs = Math.max(1, Math.round(performance.now() - started));
			const tally: SweepTally = {expire: 0, dormant: 0, archive: 0, purge: 0};
			for (const row of rows) {
				tally[row.action]++;
				this.stats.swept[row.action]++;
				this.workload.swept(row.action, row.session_id);
			}

			this.stats.sweeps++;
			this.perfBuffer.push({operation: 'lifecycle_sweep', duration_ms: durationMs, success: true, session_id: null, metadata: {simulated: true, ...tally}});
		} finally {
			this.gate = undefined;
			release();
		}
	}

	private gauges(): MetricRow[] {
		const counts = new Map<string, number>();
		let pendingHandoffs = 0;
		for (const s of this.workload.sessions.values()) {
			const state = s.dormant && s.status === 'active' ? 'dormant' : s.status;
			counts.set(state, (counts.get(state) ?? 0) + 1);
			pendingHandoffs += s.handoffs.length;
		}

		const rows: MetricRow[] = [];
		for (const state of ['active', 'paused', 'dormant', 'expired', 'completed', 'cancelled']) {
			rows.push({metric_name: 'handoff_sessions', metric_value: counts.get(state) ?? 0, metric_type: 'gauge', labels: {state}});
		}

		rows.push(
			{metric_name: 'handoff_open_handoff_requests', metric_value: pendingHandoffs, metric_type: 'gauge', labels: {}},
			{metric_name: 'handoff_db_connections', metric_value: this.pool.totalCount, metric_type: 'gauge', labels: {state: 'open', pool: 'simulator'}},
			{metric_name: 'handoff_db_connections', metric_value: this.pool.idleCount, metric_type: 'gauge', labels: {state: 'idle', pool: 'simulator'}},
			{
				metric_name: 'handoff_process_memory_mb',
				metric_value: Math.round(process.memoryUsage().rss / 1048576),
				metric_type: 'gauge',
				labels: {component: 'simulator'},
			},
		);
		return rows;
	}

	private async recordMetrics(): Promise<void> {
		const rows = this.metrics.rows(this.gauges());
		await this.pool.query(sqlText('simulator/insert_system_metrics'), [JSON.stringify(rows)]);
		this.stats.metricRows += rows.length;
	}
}
