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
// every pollIntervalMs. A wake-up is only a hint, and anyone who may connect can
// send one (pg_notify): they are coalesced, at most one read per
// wakeReadIntervalMs however many arrive. The cursor lives in this process: on
// any error the feed reports 'disconnected', backs off (0.5 s doubling to 10 s),
// reconnects, LISTENs again and catches up from the cursor. The safety poll
// doubles as a liveness check: a read that does not answer in time counts as a
// dead connection (a server restart may not raise an error on an idle client).
//
// On a hot standby (pg_is_in_recovery()) there is no LISTEN: the feed follows
// by its cursor at every poll (status wakeups 'standby'), and LISTENs once the
// standby is promoted. When events keep arriving by polling and no wake-up came
// for a while, the status says so (wakeups 'missing'). Reconnecting to another
// server (a failover), the cursor stays valid when the new server continues the
// same transaction id sequence (a promoted standby); when it does not (another
// system identifier, or the cursor's xid is not yet assigned there) the feed
// resumes from the last delivered event's created_at (--since semantics) and
// says so through onNotice.
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';
import {checkListen} from './listenCheck.js';

export const lifecycleChannel = 'handoff_lifecycle';

/** The spec's event types: the ones handoff-top's triggers and sweep write, each with a symbol and a colour of its own. */
export const specEventTypes = ['created', 'expired', 'archived', 'dormant', 'reactivated', 'status_changed'] as const;
export type SpecEventType = (typeof specEventTypes)[number];

/**
 * What a lifecycle row's event_type can hold: the spec's six, or any other
 * type a writer logs (the handoff server logs 'expiration_scheduled'; the
 * database accepts any lower-case name). Readers take every one: the others
 * are shown under their own name.
 */
export type LifecycleEventType = SpecEventType | (string & {});

export function isSpecEventType(type: string): type is SpecEventType {
	return (specEventTypes as readonly string[]).includes(type);
}

/** An event type as read: open (any text; it is made inert wherever it is printed). */
export const eventTypeSchema = z.string();

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
	/** Set when LISTEN does not work on the connection (a pooler): the feed follows by its safety poll alone, and says why. */
	polling?: string;
	/** A running transaction holds the cursor back: committed events wait behind it. */
	heldBackBy?: {xid: string; ageMs: number};
	/**
	 * While live, how new events are noticed: 'notify' (LISTEN wake-ups and the
	 * safety poll), 'standby' (a hot standby: polling only), 'missing' (events
	 * arrive by polling but no wake-up came for a while).
	 */
	wakeups?: 'notify' | 'standby' | 'missing';
	/** The safety poll's interval (the only way events arrive without wake-ups). */
	pollIntervalMs?: number;
};

export type FeedStats = {
	/** Reads of session_lifecycle (each one statement). */
	reads: number;
	/** Notifications received on the channel. */
	notifications: number;
};

export type FeedCursor = {xid: string; seq: string};

export type EventFeedOptions = {
	connect: () => Promise<pg.Client>;
	/** 'now' (default): events committed before start are not replayed. A Date: from the first event created at or after it. */
	start?: Date | 'now';
	/** With a 'now' start: first deliver the newest this many events committed before it (default 0), in order, then the live ones. */
	history?: number;
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
	/** Wake-ups are coalesced: at most one wake-up read per this many ms (default liveWakeReadIntervalMs, 100). */
	wakeReadIntervalMs?: number;
	/** Events arrived by polling and no wake-up came for this long: wakeups 'missing' (default 1000 ms). */
	quietMs?: number;
	/** Something the operator should know (a failover, a resume by time). */
	onNotice?(message: string): void;
};

export type EventFeed = {
	start(): Promise<void>;
	stop(): Promise<void>;
	cursor(): FeedCursor | undefined;
	stats(): FeedStats;
	/** From now on, at most one wake-up read per `ms` (the monitor reads less often while its event list is not on screen). */
	setWakeReadInterval(ms: number): void;
};

/** The default of EventFeedOptions.wakeReadIntervalMs: events within about a tenth of a second. */
export const liveWakeReadIntervalMs = 100;

export const lifecycleEventRow = z
	.object({
		id: z.string(),
		seq: z.coerce.string(),
		xid: z.string(),
		session_id: z.string(),
		session_key: z.string().nullable(),
		agent_from: z.string().nullable(),
		agent_to: z.string().nullable(),
		event_type: eventTypeSchema,
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
/** A row of sql/queries/lifecycle_feed_lag.sql (snapshot reads it once too). */
export const lagRow = z.object({xmin: z.string(), waiting: z.boolean(), xact_age_ms: z.coerce.number().nullable()});
const serverRow = z.object({in_recovery: z.boolean(), next_xid: z.string()});
const systemRow = z.object({system_identifier: z.string()});

type ServerInfo = {inRecovery: boolean; nextXid: string; systemIdentifier: string | undefined};

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
	let wakeReadIntervalMs = options.wakeReadIntervalMs ?? liveWakeReadIntervalMs;
	const quietMs = options.quietMs ?? 1000;

	let cursor: FeedCursor | undefined;
	/** Rows committed before a 'now' start, skipped until the cursor passes the snapshot's xmax. */
	let startSnapshot: string | undefined;
	/** Only events created at or after this (--since; or after a resume by time). */
	let since = options.start instanceof Date ? options.start : undefined;
	/** Events from before a 'now' start still to deliver (once). */
	let history = since ? 0 : Math.max(0, Math.floor(options.history ?? 0));
	/** The newest created_at delivered: where a resume by time starts. */
	let lastCreatedAt: Date | undefined;
	/** The server of the previous connection. */
	let server: ServerInfo | undefined;
	let standby = false;
	const stats: FeedStats = {reads: 0, notifications: 0};
	let delivered = 0;
	// Wake-ups: when the last one came, whether events then came by polling
	// without one (suspectAt), and whether that lasted a poll interval (noWakeups).
	let lastWakeAt = 0;
	let suspectAt: number | undefined;
	let noWakeups = false;
	let heldBackBy: FeedStatus['heldBackBy'];

	let stopped = false;
	let client: pg.Client | undefined;
	let status: FeedStatus | undefined;
	let heldSince: {xmin: string; at: number} | undefined;
	let loop: Promise<void> | undefined;
	/** Resolves the wait of the connection loop (a failure or stop). */
	let wake: (() => void) | undefined;
	let failure: unknown;
	/** Why LISTEN is not used on the current connection (listenCheck.ts), if it is not. */
	let listenBroken: string | undefined;

	// Reads are serialised; a wake-up during a read asks for another one.
	let reading: Promise<void> | undefined;
	let readAgain = false;
	let pollTimer: NodeJS.Timeout | undefined;
	// Coalesced wake-up reads: one timer, at the earliest read wanted, never
	// sooner than wakeReadIntervalMs after the previous wake-up read.
	let wakeTimer: NodeJS.Timeout | undefined;
	let wakeTimerAt = Number.POSITIVE_INFINITY;
	let lastWakeReadAt = Number.NEGATIVE_INFINITY;
	let wantRead = false;
	let trailingAt: number | undefined;

	function setStatus(given: FeedStatus): void {
		const next = given.state === 'live' && listenBroken ? {...given, polling: listenBroken} : given;
		const changed =
			status?.polling !== next.polling ||
			!status ||
			status.state !== next.state ||
			status.retryInMs !== next.retryInMs ||
			status.lastError !== next.lastError ||
			status.heldBackBy?.xid !== next.heldBackBy?.xid ||
			status.wakeups !== next.wakeups ||
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

	function notice(text: string): void {
		try {
			options.onNotice?.(text);
		} catch {
			// a listener's error is not the feed's
		}
	}

	function liveStatus(): FeedStatus {
		const wakeups = standby ? 'standby' : noWakeups ? 'missing' : 'notify';
		return {state: 'live', wakeups, pollIntervalMs, ...(heldBackBy ? {heldBackBy} : {})};
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
			if (history > 0) {
				const wanted = history;
				history = 0; // once: a reconnect resumes from the cursor
				const old = await withTimeout(c.query(sqlText('queries/lifecycle_feed_history'), [row.snapshot, wanted]));
				deliver(old.rows.map(r => lifecycleEventRow.parse(r)).reverse());
			}
		}
	}

	function deliver(batch: LifecycleEvent[]): void {
		if (batch.length === 0) return;
		for (const event of batch) if (!lastCreatedAt || event.createdAt > lastCreatedAt) lastCreatedAt = event.createdAt;
		delivered += batch.length;
		try {
			options.onEvents(batch);
		} catch {
			// the consumer's error must not replay or drop events
		}
	}

	async function readOnce(c: pg.Client): Promise<number> {
		const current = cursor!;
		stats.reads++;
		const {rows} = await withTimeout(
			c.query(sqlText('queries/lifecycle_events_after'), [current.xid, current.seq, since ?? null, startSnapshot ?? null, batchLimit]),
		);
		if (rows.length === 0) return 0;
		const batch = rows.map(row => lifecycleEventRow.parse(row));
		const last = batch[batch.length - 1]!;
		cursor = {xid: last.xid, seq: last.seq};
		if (startSnapshot && BigInt(last.xid) >= snapshotXmax(startSnapshot)) startSnapshot = undefined;
		deliver(batch);
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
		stats.notifications++;
		const now = Date.now();
		lastWakeAt = now;
		suspectAt = undefined;
		if (noWakeups) {
			noWakeups = false;
			if (status?.state === 'live') setStatus(liveStatus());
		}

		// A hint only: read soon, and once more after the last one of a burst.
		wantRead = true;
		trailingAt = now + trailingReadMs;
		armWakeRead();
	}

	function armWakeRead(): void {
		const wanted = wantRead ? Date.now() : trailingAt;
		if (wanted === undefined || stopped) return;
		const at = Math.max(wanted, lastWakeReadAt + wakeReadIntervalMs);
		if (wakeTimer !== undefined && wakeTimerAt <= at) return;
		clearTimeout(wakeTimer);
		wakeTimerAt = at;
		wakeTimer = setTimeout(wakeRead, Math.max(0, at - Date.now()));
	}

	function wakeRead(): void {
		wakeTimer = undefined;
		wakeTimerAt = Number.POSITIVE_INFINITY;
		const now = Date.now();
		lastWakeReadAt = now;
		wantRead = false;
		if (trailingAt !== undefined && trailingAt <= now) trailingAt = undefined;
		void requestRead().catch(() => {});
		armWakeRead();
	}

	function clearTimers(): void {
		clearTimeout(pollTimer);
		pollTimer = undefined;
		clearTimeout(wakeTimer);
		wakeTimer = undefined;
		wakeTimerAt = Number.POSITIVE_INFINITY;
		wantRead = false;
		trailingAt = undefined;
	}

	async function readServer(c: pg.Client): Promise<ServerInfo> {
		const {rows} = await withTimeout(c.query(sqlText('queries/lifecycle_feed_server')));
		const row = serverRow.parse(rows[0]);
		let systemIdentifier: string | undefined;
		try {
			const result = await withTimeout(c.query(sqlText('queries/lifecycle_feed_system')));
			systemIdentifier = systemRow.parse(result.rows[0]).system_identifier;
		} catch (error) {
			// no EXECUTE on pg_control_system(): the xid check alone
			if (error instanceof ReadTimeout || (error as {code?: unknown})?.code !== '42501') throw error;
		}

		return {inRecovery: row.in_recovery, nextXid: row.next_xid, systemIdentifier};
	}

	/** A new connection: is the cursor still comparable with this server's transaction ids? */
	async function checkServer(c: pg.Client, next: ServerInfo): Promise<void> {
		const previous = server;
		server = next;
		if (!previous || !cursor) return;
		let reason: string | undefined;
		if (previous.systemIdentifier && next.systemIdentifier && previous.systemIdentifier !== next.systemIdentifier) {
			reason = `another cluster (system identifier ${next.systemIdentifier}, was ${previous.systemIdentifier})`;
		} else if (cursor.seq === '0' ? BigInt(cursor.xid) > BigInt(next.nextXid) : BigInt(cursor.xid) >= BigInt(next.nextXid)) {
			// a delivered event's xid is below the next xid of the server that wrote it; a start cursor at most equal
			reason = `its next transaction id ${next.nextXid} is not past the cursor's ${cursor.xid} (a standby promoted before it had replayed them?)`;
		}

		if (reason === undefined) {
			if (previous.inRecovery && !next.inRecovery) notice('the server is no longer a standby (promoted): resuming from the cursor, listening for wake-ups');
			return;
		}

		const from = lastCreatedAt ?? since ?? new Date();
		notice(
			`transaction ids not comparable with the cursor: ${reason}; resuming from events created at or after ${from.toISOString()} (as --since: events of that instant may repeat, earlier ones that never reached this server are lost)`,
		);
		since = from;
		cursor = undefined;
		startSnapshot = undefined;
		await initialiseCursor(c);
	}

	/** LISTEN, unless a check (listenCheck.ts) finds that notifications do not arrive on `c` (a pooler): then polling, with the reason in the status. */
	async function listenIfItWorks(c: pg.Client): Promise<void> {
		const listen = await withTimeout(checkListen(c, {connect: options.connect}));
		listenBroken = listen.ok ? undefined : listen.reason;
		if (listen.ok) await withTimeout(c.query(`LISTEN ${lifecycleChannel}`));
	}

	async function poll(c: pg.Client): Promise<void> {
		try {
			const before = delivered;
			await requestRead();
			if (client !== c || stopped) return;
			if (standby) {
				const now = await readServer(c);
				if (client !== c || stopped) return;
				if (!now.inRecovery) {
					// promoted: the same server, the same transaction ids; wake-ups from now on
					await listenIfItWorks(c);
					standby = false;
					lastWakeAt = Date.now();
					server = now;
					notice('the standby was promoted: listening for wake-ups');
					await requestRead();
				}
			} else {
				const now = Date.now();
				if (suspectAt !== undefined && lastWakeAt < suspectAt) noWakeups = true;
				suspectAt = delivered > before && now - lastWakeAt > quietMs ? now : undefined;
			}

			heldBackBy = await checkLag(c);
			if (client !== c || stopped) return;
			setStatus(liveStatus());
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
		const info = await readServer(c);
		standby = info.inRecovery;
		// a hot standby cannot LISTEN ('cannot execute LISTEN during recovery')
		if (!standby) await listenIfItWorks(c);
		lastWakeAt = Date.now();
		suspectAt = undefined;
		noWakeups = false;
		heldBackBy = undefined;
		await checkServer(c, info);
		if (!cursor) await initialiseCursor(c);
		await requestRead();
		if (failure !== undefined) throw failure;
		const ended = new Promise<void>(resolve => {
			wake = resolve;
		});
		setStatus(liveStatus());
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
		stats() {
			return {...stats};
		},
		setWakeReadInterval(ms) {
			if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`wake-up read interval ${ms} ms`);
			wakeReadIntervalMs = ms;
			// a read put off under a longer interval comes now if the shorter one allows it
			armWakeRead();
		},
	};
}
