// One database the exporter serves: a resilient read-only connection
// (source/monitor/monitorDatabase.ts, the monitor's), the counters it keeps,
// and the latest reading. collect() runs the scrape's statements one after the
// other on that connection; a collect() while one runs joins it (a scrape that
// overlaps the previous one gets its result).
//
// Counters never go backwards:
// * lifecycle events: by the event feed's xid8 cursor (sql/queries/
//   exporter_event_counts.sql). The first sight of a database counts its rows
//   (the database's own count); after that each collect() adds the rows of the
//   transactions that finished since the previous horizon, so each row counts
//   once, across reconnects and database restarts (transaction ids go on).
//   When the server's transaction ids are not comparable with the horizon (a
//   new cluster, a standby promoted behind it) the horizon restarts at the new
//   server's and nothing is added for the gap; the totals keep their values.
// * calls, failures and the latency histogram: performance_logs created since
//   the previous edge, less settleSeconds (so that a call whose transaction
//   commits a little after its created_at still counts once), bucketed by the
//   latency rollups' function.
// The state (horizon, edge, totals) is saved by the exporter (stateFile.ts)
// so that a restarted exporter carries on from it.
//
// Gauges: sessions by status (source/queries/exporter.ts sessionsByStatus:
// counted up to 10,000 live rows, a block sample scaled to the live rows
// above), the feed's lag, the schema state, and storage (the Storage panel's
// numbers, read once a minute; the reads in between serve the last one).
import type pg from 'pg';
import {classifySchema, type SchemaState} from '../db/schemaState.js';
import {loadMigrations, type Migration} from '../db/migrations.js';
import {createMonitorDatabase, type MonitorDatabase} from '../monitor/monitorDatabase.js';
import {feedHeldBack, lifecycleCountsSince, operationCallsSince, serverIdentity, sessionCounting, sessionsByStatus, type SessionCounting} from '../queries/exporter.js';
import {storagePanel, type StoragePanel} from '../queries/storage.js';
import {loadExpectedSchema} from '../db/validation/expected.js';
import {boundIndex, latencyBoundsMs} from './latencyBuckets.js';

/** Distinct values kept per label before the rest are counted under 'other': memory and series stay bounded. */
export const labelValueCaps = {eventType: 50, operation: 200, status: 50} as const;
export const otherLabel = 'other';

export type OperationTotals = {calls: number; failures: number; sumMs: number; buckets: number[]};

export type CounterState = {
	systemIdentifier?: string | undefined;
	/** xid8 horizon of the lifecycle counts: rows below it are counted. */
	horizon?: string | undefined;
	events: Record<string, number>;
	/** performance_logs created before this are counted. */
	callsFrom?: string | undefined;
	operations: Record<string, OperationTotals>;
};

export type StorageReading = {
	databaseBytes: number;
	growthBytesPerDay: number;
	/** The tables of the handoff schema only (sql/expected_schema.json): one series each, whatever else the schema holds. */
	tables: Array<{table: string; totalBytes: number; rowEstimate: number | null}>;
	ceilings: Array<{kind: 'limit' | 'disk'; capacityBytes: number; daysLeft: number | null}>;
};

export type Reading = {
	sessions: Array<{status: string; sessions: number; archived: number; dormant: number}>;
	/** 1: the sessions were counted; below 1: estimates from this share of the table's blocks. */
	sessionsSampledShare: number;
	schema: SchemaState['state'];
	feedLagSeconds: number;
	/** The Storage panel's numbers, read at most every storageEveryMs; undefined where they cannot be read (a schema before migration 014). */
	storage?: StorageReading | undefined;
};

export type CollectorStatus = {
	up: boolean;
	lastSuccessAt?: Date;
	lastError?: string;
	/** Seconds the last collect() took. */
	durationSeconds?: number;
	reading?: Reading;
};

export type DatabaseCollectorOptions = {
	name: string;
	/** Where it connects, for messages (never the password). */
	label: string;
	connect: () => Promise<pg.Client>;
	state?: CounterState | undefined;
	settleSeconds: number;
	queryTimeoutMs?: number;
	onNotice?: (text: string) => void;
	/** --storage-limit in bytes: days until the database reaches it. */
	storageLimitBytes?: number | undefined;
	/** How often storage is read again (default storageEveryMs); the scrapes in between serve the last reading. */
	storageEveryMs?: number;
	sessionCounting?: SessionCounting;
};

/** Storage is read once a minute: sizes and a forecast in days move slowly, and its statements (the Storage
 * screen's, which that screen runs every 10 s) cost more than the rest of a scrape. */
export const storageEveryMs = 60_000;

let handoffTables: Set<string> | undefined;
/** The tables the expected schema has: the only table label values. */
function isHandoffTable(name: string): boolean {
	handoffTables ??= new Set(Object.values(loadExpectedSchema().objects).filter(o => o.type === 'table').map(o => o.name));
	return handoffTables.has(name);
}

/** A connection that broke or a server shutting down (SQLSTATE classes 08, 57): the database is down, not its storage unreadable. */
function connectionLost(error: unknown): boolean {
	const code = (error as {code?: unknown})?.code;
	return typeof code !== 'string' || code.startsWith('08') || code.startsWith('57');
}

function emptyState(): CounterState {
	return {events: Object.create(null) as Record<string, number>, operations: Object.create(null) as Record<string, OperationTotals>};
}

function message(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n')[0] ?? text;
}

/** The key a value counts under: itself while fewer than cap keys exist, else 'other'. */
function capped(keys: Record<string, unknown>, key: string, cap: number): string {
	if (Object.hasOwn(keys, key) || key === otherLabel) return key;
	return Object.keys(keys).filter(k => k !== otherLabel).length < cap ? key : otherLabel;
}

export class DatabaseCollector {
	readonly name: string;
	readonly label: string;
	readonly #db: MonitorDatabase;
	readonly #settleSeconds: number;
	readonly #onNotice: (text: string) => void;
	#state: CounterState;
	#status: CollectorStatus = {up: false};
	#collecting: Promise<CollectorStatus> | undefined;
	#heldSince: {xmin: string; at: number} | undefined;
	#changed = false;
	readonly #storageLimitBytes: number | undefined;
	readonly #storageEveryMs: number;
	readonly #sessionCounting: SessionCounting;
	#storage: {at: number; reading: StorageReading | undefined} | undefined;
	#storageError: string | undefined;
	/** The shipped migrations, read once (the classifier compares the database's history with them). */
	readonly #migrations: Migration[] = loadMigrations();

	constructor(options: DatabaseCollectorOptions) {
		this.name = options.name;
		this.label = options.label;
		this.#settleSeconds = options.settleSeconds;
		this.#onNotice = options.onNotice ?? (() => {});
		this.#storageLimitBytes = options.storageLimitBytes;
		this.#storageEveryMs = options.storageEveryMs ?? storageEveryMs;
		this.#sessionCounting = options.sessionCounting ?? sessionCounting;
		const given = options.state ? structuredClone(options.state) : undefined;
		// null-prototype records: an event type or operation may be any name ('constructor' too)
		this.#state = {
			...given,
			events: Object.assign(emptyState().events, given?.events),
			operations: Object.assign(emptyState().operations, given?.operations),
		};
		this.#db = createMonitorDatabase({connect: options.connect, queryTimeoutMs: options.queryTimeoutMs ?? 8000});
	}

	/** The counters as they stand (a copy). */
	state(): CounterState {
		return structuredClone(this.#state);
	}

	/** Did the counters change since the last call? */
	takeChanged(): boolean {
		const changed = this.#changed;
		this.#changed = false;
		return changed;
	}

	status(): CollectorStatus {
		return this.#status;
	}

	/** Reads the database once; joins a read that is already running. Never rejects. */
	async collect(): Promise<CollectorStatus> {
		this.#collecting ??= this.#collectNow().finally(() => {
			this.#collecting = undefined;
		});
		return this.#collecting;
	}

	async close(): Promise<void> {
		await this.#collecting?.catch(() => {});
		await this.#db.close();
	}

	async #collectNow(): Promise<CollectorStatus> {
		const started = performance.now();
		const wasUp = this.#status.up;
		try {
			const reading = await this.#db.run(async client => this.#read(client));
			this.#status = {up: true, lastSuccessAt: new Date(), durationSeconds: (performance.now() - started) / 1000, reading};
			if (!wasUp) this.#onNotice(`${this.name} (${this.label}): up`);
		} catch (error) {
			const lastError = message(error);
			// once per outage (the retries' messages differ only in their countdown)
			if (wasUp || this.#status.lastError === undefined) this.#onNotice(`${this.name} (${this.label}): down: ${lastError}`);
			this.#status = {
				up: false,
				lastError,
				durationSeconds: (performance.now() - started) / 1000,
				...(this.#status.lastSuccessAt ? {lastSuccessAt: this.#status.lastSuccessAt} : {}),
			};
		}

		return this.#status;
	}

	async #read(client: pg.ClientBase): Promise<Reading> {
		const schema = await classifySchema(client, this.#migrations);
		if (schema.state === 'missing') return {sessions: [], sessionsSampledShare: 1, schema: schema.state, feedLagSeconds: 0};
		await this.#countEvents(client);
		await this.#countCalls(client);
		const sessions = await sessionsByStatus(client, this.#sessionCounting);
		const held = await feedHeldBack(client);
		let feedLagSeconds = 0;
		if (held.waiting) {
			if (this.#heldSince?.xmin !== held.xmin) this.#heldSince = {xmin: held.xmin, at: Date.now()};
			feedLagSeconds = Math.max(held.xactAgeMs ?? 0, Date.now() - this.#heldSince.at) / 1000;
		} else {
			this.#heldSince = undefined;
		}

		const storage = await this.#readStorage(client);
		return {sessions: this.#cappedSessions(sessions.rows), sessionsSampledShare: sessions.sampledShare, schema: schema.state, feedLagSeconds, storage};
	}

	async #readStorage(client: pg.ClientBase): Promise<StorageReading | undefined> {
		if (this.#storage && Date.now() - this.#storage.at < this.#storageEveryMs) return this.#storage.reading;
		let reading: StorageReading | undefined;
		try {
			// the next sweep's rows are not counted (nextSweepCap 0): no metric shows them
			reading = storageReading(await storagePanel(client, {limitBytes: this.#storageLimitBytes, nextSweepCap: 0}));
			if (this.#storageError !== undefined) this.#onNotice(`${this.name}: storage read again`);
			this.#storageError = undefined;
		} catch (error) {
			if (connectionLost(error)) throw error;
			const text = message(error);
			if (this.#storageError !== text) this.#onNotice(`${this.name}: storage metrics left out: ${text}`);
			this.#storageError = text;
		}

		this.#storage = {at: Date.now(), reading};
		return reading;
	}

	async #countEvents(client: pg.ClientBase): Promise<void> {
		const state = this.#state;
		const server = await serverIdentity(client);
		let horizon = state.horizon ?? null;
		if (horizon !== null) {
			let reason: string | undefined;
			if (state.systemIdentifier && server.systemIdentifier && state.systemIdentifier !== server.systemIdentifier) {
				reason = `another cluster (system identifier ${server.systemIdentifier}, was ${state.systemIdentifier})`;
			} else if (BigInt(horizon) > BigInt(server.nextXid)) {
				reason = `its next transaction id ${server.nextXid} is below the counters' horizon ${horizon}`;
			}

			if (reason) {
				// Not comparable: start over at this server's horizon, adding nothing (the totals keep their values).
				const fresh = await lifecycleCountsSince(client, server.nextXid);
				this.#onNotice(`${this.name}: lifecycle counters resume at this server's transaction ids: ${reason}; events of the gap are not counted`);
				state.horizon = fresh.horizon;
				state.systemIdentifier = server.systemIdentifier;
				horizon = null;
				this.#changed = true;
				return;
			}
		}

		const {horizon: next, counts} = await lifecycleCountsSince(client, horizon);
		for (const {eventType, events} of counts) {
			const key = capped(state.events, eventType, labelValueCaps.eventType);
			state.events[key] = (state.events[key] ?? 0) + events;
		}

		if (next !== state.horizon || counts.length > 0) this.#changed = true;
		state.horizon = next;
		state.systemIdentifier = server.systemIdentifier ?? state.systemIdentifier;
	}

	async #countCalls(client: pg.ClientBase): Promise<void> {
		const state = this.#state;
		const from = state.callsFrom === undefined ? null : new Date(state.callsFrom);
		const {nextFrom, rows} = await operationCallsSince(client, from, this.#settleSeconds);
		for (const row of rows) {
			const key = capped(state.operations, row.operation, labelValueCaps.operation);
			const totals = (state.operations[key] ??= {calls: 0, failures: 0, sumMs: 0, buckets: Array.from({length: latencyBoundsMs.length + 1}, () => 0)});
			totals.calls += row.calls;
			totals.failures += row.failures;
			totals.sumMs += row.sumMs;
			totals.buckets[boundIndex(row.latencyBucket)]! += row.calls;
		}

		// the edge never moves back (a server clock set back, a failover to a server behind)
		if (!from || nextFrom > from) {
			state.callsFrom = nextFrom.toISOString();
			this.#changed = true;
		}
	}

	#cappedSessions(rows: Reading['sessions']): Reading['sessions'] {
		if (rows.length <= labelValueCaps.status) return rows;
		const kept = rows.slice(0, labelValueCaps.status - 1).filter(row => row.status !== otherLabel);
		const rest = rows.filter(row => !kept.includes(row));
		const other = rest.reduce((sum, row) => ({status: otherLabel, sessions: sum.sessions + row.sessions, archived: sum.archived + row.archived, dormant: sum.dormant + row.dormant}), {status: otherLabel, sessions: 0, archived: 0, dormant: 0});
		return [...kept, other];
	}
}

function storageReading(panel: StoragePanel): StorageReading {
	return {
		databaseBytes: panel.databaseBytes,
		growthBytesPerDay: panel.growthBytesPerDay,
		tables: panel.tables.filter(t => isHandoffTable(t.table)).map(t => ({table: t.table, totalBytes: t.totalBytes, rowEstimate: t.rowEstimate})),
		ceilings: panel.ceilings.map(c => ({kind: c.kind, capacityBytes: c.capacityBytes, daysLeft: c.daysLeft})),
	};
}
