// The lossless lifecycle event feed, shared by the monitor and `tail`.
//
//   const feed = createEventFeed({connect, start: 'now', onEvents, onStatus});
//   await feed.start();   // resolves once the first connection attempt has settled
//   ...                   // onEvents(batch) in (xid, seq) order, each event exactly once
//   await feed.stop();
//   feed.cursor();        // {xid, seq} of the last delivered event
//
// Events are read from session_lifecycle with the xid8 cursor of
// sql/migrations/003_live_event_feed.sql (never from the NOTIFY payload, which
// only wakes the feed). Each wake-up is followed by a trailing read 250 ms
// later (writers notify at most once per 100 ms window) and a safety poll runs
// every pollIntervalMs. The cursor lives in this process: on any error the feed
// reports 'disconnected', backs off (0.5 s doubling to 10 s), reconnects,
// LISTENs again and catches up from the cursor. The safety poll doubles as a
// liveness check: a read that does not answer in time counts as a dead
// connection (a server restart may not raise an error on an idle client).
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';

export const lifecycleChannel = 'handoff_lifecycle';

export type LifecycleEventType = 'created' | 'expired' | 'archived' | 'dormant' | 'reactivated' | 'status_changed';

export type LifecycleEvent = {
	id: string;
	seq: string;
	xid: string;
	sessionId: string;
	sessionKey: string | null;
	agentFrom: string | null;
	agentTo: string | null;
	eventType: LifecycleEventType;
	eventData: Record<string, unknown>;
	createdAt: Date;
};

export type FeedStatus = {
	state: 'connecting' | 'live' | 'disconnected';
	retryInMs?: number;
	lastError?: string;
	/** When the current state began. */
	since?: Date;
	/** A running transaction holds the cursor back: committed events wait behind it. */
	heldBackBy?: {xid: string; ageMs: number};
};

export type FeedCursor = {xid: string; seq: string};

export type EventFeedOptions = {
	connect: () => Promise<pg.Client>;
	/** 'now' (default): events committed before start are not replayed. A Date: from the first event created at or after it. */
	start?: Date | 'now';
	onEvents(batch: LifecycleEvent[]): void;
	onStatus(status: FeedStatus): void;
	/** Safety poll and liveness check (default 2000 ms). */
	pollIntervalMs?: number;
	/** Rows per read (default 500). */
	batchLimit?: number;
	/** Delay of the read that follows each wake-up (default 250 ms). */
	trailingReadMs?: number;
	/** A read slower than this counts as a dead connection (default 15 s). */
	readTimeoutMs?: number;
	/** Backoff after a failure: first and longest wait (default 500 and 10 000 ms). */
	backoff?: {initialMs: number; maxMs: number};
};

export type EventFeed = {
	start(): Promise<void>;
	stop(): Promise<void>;
	cursor(): FeedCursor | undefined;
};

export const lifecycleEventRow = z
	.object({
		id: z.string(),
		seq: z.coerce.string(),
		xid: z.string(),
		session_id: z.string(),
		session_key: z.string().nullable(),
		agent_from: z.string().nullable(),
		agent_to: z.string().nullable(),
		event_type: z.enum(['created', 'expired', 'archived', 'dormant', 'reactivated', 'status_changed']),
		event_data: z.record(z.string(), z.unknown()).nullable(),
		created_at: z.date(),
	})
	.transform(
		(row): LifecycleEvent => ({
			id: row.id,
			seq: row.seq,
			xid: row.xid,
			sessionId: row.session_id,
			sessionKey: row.session_key,
			agentFrom: row.agent_from,
			agentTo: row.agent_to,
			eventType: row.event_type,
			eventData: row.event_data ?? {},
			createdAt: row.created_at,
		}),
	);

const startRow = z.object({xmin: z.string(), snapshot: z.string(), since_xid: z.string().nullable()});
const lagRow = z.object({xmin: z.string(), waiting: z.boolean(), xact_age_ms: z.coerce.number().nullable()});

/** pg_snapshot text is 'xmin:xmax:xip,...'. */
function snapshotXmax(snapshot: string): bigint {
	return BigInt(snapshot.split(':')[1] ?? '0');
}

function message(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n')[0] ?? text;
}

class ReadTimeout extends Error {
	constructor(ms: number) {
		super(`no answer from the server in ${Math.round(ms / 1000)} s (connection presumed dead)`);
	}
}

export function createEventFeed(options: EventFeedOptions): EventFeed {
	const pollIntervalMs = options.pollIntervalMs ?? 2000;
	const batchLimit = options.batchLimit ?? 500;
	const trailingReadMs = options.trailingReadMs ?? 250;
	const readTimeoutMs = options.readTimeoutMs ?? 15_000;
	const backoff = options.backoff ?? {initialMs: 500, maxMs: 10_000};

	let cursor: FeedCursor | undefined;
	/** Rows committed before a 'now' start, skipped until the cursor passes the snapshot's xmax. */
	let startSnapshot: string | undefined;
	const since = options.start instanceof Date ? options.start : undefined;

	let stopped = false;
	let client: pg.Client | undefined;
	let status: FeedStatus | undefined;
	let heldSince: {xmin: string; at: number} | undefined;
	let loop: Promise<void> | undefined;
	/** Resolves the wait of the connection loop (a failure or stop). */
	let wake: (() => void) | undefined;
	let failure: unknown;

	// Reads are serialised; a wake-up during a read asks for another one.
	let reading: Promise<void> | undefined;
	let readAgain = false;
	let pollTimer: NodeJS.Timeout | undefined;
	const trailingTimers = new Set<NodeJS.Timeout>();

	function setStatus(next: FeedStatus): void {
		const changed =
			!status ||
			status.state !== next.state ||
			status.retryInMs !== next.retryInMs ||
			status.lastError !== next.lastError ||
			status.heldBackBy?.xid !== next.heldBackBy?.xid ||
			(next.heldBackBy !== undefined && Math.floor(next.heldBackBy.ageMs / 1000) !== Math.floor((status.heldBackBy?.ageMs ?? -1000) / 1000));
		if (!changed) return;
		const stateSince = status && status.state === next.state && status.since ? status.since : new Date();
		status = {...next, since: stateSince};
		try {
			options.onStatus(status);
		} catch {
			// a listener's error is not the feed's
		}
	}

	function fail(error: unknown): void {
		if (failure === undefined) failure = error ?? new Error('connection lost');
		wake?.();
	}

	async function withTimeout<T>(promise: Promise<T>): Promise<T> {
		let timer: NodeJS.Timeout | undefined;
		try {
			return await Promise.race([
				promise,
				new Promise<never>((_, reject) => {
					timer = setTimeout(() => reject(new ReadTimeout(readTimeoutMs)), readTimeoutMs);
				}),
			]);
		} finally {
			clearTimeout(timer);
		}
	}

	async function initialiseCursor(c: pg.Client): Promise<void> {
		const {rows} = await withTimeout(c.query(sqlText('queries/lifecycle_feed_start'), [since ?? null]));
		const row = startRow.parse(rows[0]);
		if (since) {
			cursor = {xid: row.since_xid ?? row.xmin, seq: '0'};
		} else {
			cursor = {xid: row.xmin, seq: '0'};
			startSnapshot = row.snapshot;
		}
	}

	async function readOnce(c: pg.Client): Promise<number> {
		const current = cursor!;
		const {rows} = await withTimeout(
			c.query(sqlText('queries/lifecycle_events_after'), [current.xid, current.seq, since ?? null, startSnapshot ?? null, batchLimit]),
		);
		if (rows.length === 0) return 0;
		const batch = rows.map(row => lifecycleEventRow.parse(row));
		const last = batch[batch.length - 1]!;
		cursor = {xid: last.xid, seq: last.seq};
		if (startSnapshot && BigInt(last.xid) >= snapshotXmax(startSnapshot)) startSnapshot = undefined;
		try {
			options.onEvents(batch);
		} catch {
			// the consumer's error must not replay or drop events
		}

		return batch.length;
	}

	/** Reads until caught up. Errors go to the connection loop. */
	function requestRead(): Promise<void> {
		if (reading) {
			readAgain = true;
			return reading;
		}

		const c = client;
		if (!c || stopped) return Promise.resolve();
		reading = (async () => {
			try {
				do {
					readAgain = false;
					while (!stopped && client === c && (await readOnce(c)) === batchLimit) {
						// a full batch: more are waiting
					}
				} while (readAgain && !stopped && client === c);
			} finally {
				reading = undefined;
			}
		})();
		reading.catch(fail);
		return reading;
	}

	async function checkLag(c: pg.Client): Promise<FeedStatus['heldBackBy']> {
		const {rows} = await withTimeout(c.query(sqlText('queries/lifecycle_feed_lag')));
		const row = lagRow.parse(rows[0]);
		if (!row.waiting) {
			heldSince = undefined;
			return undefined;
		}

		if (heldSince?.xmin !== row.xmin) heldSince = {xmin: row.xmin, at: Date.now()};
		return {xid: row.xmin, ageMs: Math.max(row.xact_age_ms ?? 0, Date.now() - heldSince.at)};
	}

	function onNotification(notification: pg.Notification): void {
		if (notification.channel !== lifecycleChannel || stopped) return;
		void requestRead().catch(() => {});
		const timer = setTimeout(() => {
			trailingTimers.delete(timer);
			void requestRead().catch(() => {});
		}, trailingReadMs);
		trailingTimers.add(timer);
	}

	function clearTimers(): void {
		clearTimeout(pollTimer);
		pollTimer = undefined;
		for (const timer of trailingTimers) clearTimeout(timer);
		trailingTimers.clear();
	}

	async function poll(c: pg.Client): Promise<void> {
		try {
			await requestRead();
			if (client !== c || stopped) return;
			const heldBackBy = await checkLag(c);
			if (client !== c || stopped) return;
			setStatus(heldBackBy ? {state: 'live', heldBackBy} : {state: 'live'});
		} catch (error) {
			fail(error);
			return;
		}

		if (client === c && !stopped) pollTimer = setTimeout(() => void poll(c), pollIntervalMs);
	}

	async function closeClient(): Promise<void> {
		clearTimers();
		const c = client;
		client = undefined;
		if (!c) return;
		c.removeAllListeners('notification');
		// end() waits for the server; a dead socket must not hold us up.
		await Promise.race([c.end().catch(() => {}), new Promise(resolve => setTimeout(resolve, 1000))]);
		const stream = (c as unknown as {connection?: {stream?: {destroy?: () => void}}}).connection?.stream;
		stream?.destroy?.();
	}

	/** One connection's life: connect, listen, catch up, follow; returns on stop, throws on failure. */
	async function session(onLive: () => void): Promise<void> {
		failure = undefined;
		const c = await options.connect();
		if (stopped) {
			await c.end().catch(() => {});
			return;
		}

		client = c;
		c.on('error', error => {
			if (client === c) fail(error);
		});
		c.on('end', () => {
			if (client === c) fail(new Error('connection closed by the server'));
		});
		c.on('notification', onNotification);
		await withTimeout(c.query(`LISTEN ${lifecycleChannel}`));
		if (!cursor) await initialiseCursor(c);
		await requestRead();
		if (failure !== undefined) throw failure;
		const ended = new Promise<void>(resolve => {
			wake = resolve;
		});
		setStatus({state: 'live'});
		onLive();
		void poll(c);
		if (failure === undefined && !stopped) await ended;
		wake = undefined;
		if (failure !== undefined && !stopped) throw failure;
	}

	async function sleep(ms: number): Promise<void> {
		await new Promise<void>(resolve => {
			const timer = setTimeout(resolve, ms);
			wake = () => {
				clearTimeout(timer);
				resolve();
			};
		});
		wake = undefined;
	}

	async function run(settle: () => void): Promise<void> {
		let delay = backoff.initialMs;
		while (!stopped) {
			setStatus({state: 'connecting', ...(status?.lastError ? {lastError: status.lastError} : {})});
			try {
				await session(() => {
					delay = backoff.initialMs;
					settle();
				});
			} catch (error) {
				if (stopped) break;
				await closeClient();
				setStatus({state: 'disconnected', retryInMs: delay, lastError: message(error)});
				settle();
				await sleep(delay);
				delay = Math.min(delay * 2, backoff.maxMs);
			}
		}

		await closeClient();
		settle();
	}

	return {
		async start() {
			if (loop) return;
			stopped = false;
			await new Promise<void>(resolve => {
				let settled = false;
				loop = run(() => {
					if (!settled) {
						settled = true;
						resolve();
					}
				});
			});
		},
		async stop() {
			stopped = true;
			wake?.();
			clearTimers();
			if (client) void closeClient();
			await loop;
			loop = undefined;
		},
		cursor() {
			return cursor ? {...cursor} : undefined;
		},
	};
}
