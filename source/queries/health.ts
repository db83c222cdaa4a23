// The database health line (pg_activity's header), on every screen of the
// monitor and in snapshot: connections used/max, transactions per second
// between two reads, the oldest open transaction, backends waiting on a lock,
// replication lag where there is a replica, and the event feed's own lag.
// Works as the least-privilege monitor role: what it cannot read (other roles'
// transactions and the replicas' lag need pg_monitor) is said, never fatal.
//   new HealthTracker().next(client) → DatabaseHealth (tps from the previous read)
//   healthText(health, feedLag, width) → one line that fits width
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';
import {type FeedStatus, lagRow} from '../feed/eventFeed.js';
import {age} from '../ui/format.js';

const healthRow = z.object({
	connections: z.coerce.number(),
	max_connections: z.coerce.number(),
	transactions: z.coerce.number().nullable(),
	measured_at: z.date(),
	oldest_xact_ms: z.coerce.number().nullable(),
	oldest_xact_pid: z.number().nullable(),
	waiting_locks: z.coerce.number(),
	standby: z.boolean(),
	replicas: z.coerce.number(),
	replica_lag_ms: z.coerce.number().nullable(),
	standby_lag_ms: z.coerce.number().nullable(),
	reads_all_stats: z.boolean(),
});

export type DatabaseHealth = {
	measuredAt: Date;
	connections: number;
	maxConnections: number;
	/** The database's xact_commit + xact_rollback. */
	transactions: number;
	/** Transactions per second since the previous read; null on the first. */
	tps: number | null;
	/** The oldest open transaction of another backend: null when none is open, or when it cannot be read (readable false). */
	oldestXact: {ageMs: number; pid: number} | null;
	/** False without pg_read_all_stats (pg_monitor): other roles' transactions are hidden. */
	oldestXactReadable: boolean;
	/** Backends waiting on a lock. */
	waitingLocks: number;
	/** Null when the server is neither a standby nor has a replica. lagMs null: not readable (needs pg_monitor). */
	replication: {role: 'primary' | 'standby'; replicas: number; lagMs: number | null} | null;
};

/** Reads the health line; keeps the previous read for the transaction rate. */
export class HealthTracker {
	private previous: {transactions: number; at: number} | undefined;

	async next(client: pg.ClientBase): Promise<DatabaseHealth> {
		const row = healthRow.parse((await client.query(sqlText('queries/database_health'))).rows[0]);
		const transactions = row.transactions ?? 0;
		const at = row.measured_at.getTime();
		const previous = this.previous;
		this.previous = {transactions, at};
		// a counter that went down was reset (pg_stat_reset, another server): no rate this time
		const tps =
			previous && at > previous.at && transactions >= previous.transactions ? ((transactions - previous.transactions) * 1000) / (at - previous.at) : null;
		return {
			measuredAt: row.measured_at,
			connections: row.connections,
			maxConnections: row.max_connections,
			transactions,
			tps,
			oldestXact: row.reads_all_stats && row.oldest_xact_ms !== null && row.oldest_xact_pid !== null ? {ageMs: row.oldest_xact_ms, pid: row.oldest_xact_pid} : null,
			oldestXactReadable: row.reads_all_stats,
			waitingLocks: row.waiting_locks,
			replication: row.standby
				? {role: 'standby', replicas: row.replicas, lagMs: row.standby_lag_ms}
				: row.replicas > 0
					? {role: 'primary', replicas: row.replicas, lagMs: row.reads_all_stats ? (row.replica_lag_ms ?? 0) : null}
					: null,
		};
	}

	reset(): void {
		this.previous = undefined;
	}
}

/**
 * The event feed's lag as the health line shows it: ms its events are held
 * back (0: none), 'down' while it reconnects, 'off' when it does not run,
 * 'held back' when they are but for how long cannot be read (one read as the
 * monitor role, in snapshot).
 */
export type FeedLag = number | 'off' | 'down' | 'held back';

/** The lag of the monitor's own event feed, from its status (held back by an open transaction). */
export function feedLagOf(feed: Pick<FeedStatus, 'state' | 'heldBackBy'> | undefined): FeedLag {
	if (!feed) return 'off';
	if (feed.state !== 'live') return 'down';
	return feed.heldBackBy?.ageMs ?? 0;
}

/** The feed's lag from one read (snapshot): how long the oldest transaction holding its events back has run. Needs the current schema. */
export async function feedLagNow(client: pg.ClientBase): Promise<FeedLag> {
	const row = lagRow.parse((await client.query(sqlText('queries/lifecycle_feed_lag'))).rows[0]);
	if (!row.waiting) return 0;
	return row.xact_age_ms ?? 'held back';
}

const needs = '(needs pg_monitor)';

function tpsText(tps: number | null): string {
	if (tps === null) return '-';
	return tps < 10 ? tps.toFixed(1) : String(Math.round(tps));
}

type Segment = {wide: string; narrow: string; unread: boolean; /** lowest goes first when the line does not fit */ keep: number};

function segmentsOf(health: DatabaseHealth, feedLag: FeedLag | undefined): Segment[] {
	const {oldestXact, replication, waitingLocks} = health;
	const xact: Segment = !health.oldestXactReadable
		? {wide: 'oldest xact n/a', narrow: 'xact n/a', unread: true, keep: 5}
		: oldestXact
			? {wide: `oldest xact ${age(oldestXact.ageMs)} (pid ${oldestXact.pid})`, narrow: `xact ${age(oldestXact.ageMs)}`, unread: false, keep: 5}
			: {wide: 'no open xact', narrow: 'xact none', unread: false, keep: 5};
	const lag = replication?.lagMs === null || replication === null ? 'n/a' : age(replication.lagMs);
	const connections = `${health.connections}/${health.maxConnections}`;
	return [
		{wide: `connections ${connections}`, narrow: `conn ${connections}`, unread: false, keep: 6},
		{wide: `${tpsText(health.tps)} tps`, narrow: `${tpsText(health.tps)} tps`, unread: false, keep: 1},
		xact,
		{wide: `${waitingLocks} waiting on locks`, narrow: `${waitingLocks} lock wait${waitingLocks === 1 ? '' : 's'}`, unread: false, keep: 4},
		...(replication
			? [
					replication.role === 'standby'
						? {wide: `standby replay lag ${lag}`, narrow: `replay lag ${lag}`, unread: replication.lagMs === null, keep: 3}
						: {wide: `replica lag ${lag}`, narrow: `repl lag ${lag}`, unread: replication.lagMs === null, keep: 3},
				]
			: []),
		...(feedLag === undefined ? [] : [{wide: typeof feedLag === 'number' ? `feed lag ${age(feedLag)}` : `feed ${feedLag}`, narrow: typeof feedLag === 'number' ? `feed lag ${age(feedLag)}` : `feed ${feedLag}`, unread: false, keep: 2}]),
	];
}

const separator = ' · ';

/**
 * One line, fitting `width`. From 120 columns the long labels (and the oldest
 * transaction's pid), below short ones; what cannot be read says
 * '(needs pg_monitor)', or once at the end when that does not fit; then whole
 * segments are left out, the least useful first (tps, the feed's lag - the
 * alarm says when it matters - then replication), never one cut in half.
 */
export function healthText(health: DatabaseHealth, feedLag: FeedLag | undefined, width: number): string {
	const segments = segmentsOf(health, feedLag);
	const unread = segments.some(s => s.unread);
	const note = `${separator}n/a: ${needs.slice(1, -1)}`;
	const eachNoted = (label: 'wide' | 'narrow') => segments.map(s => (s.unread ? `${s[label]} ${needs}` : s[label])).join(separator);
	const oneNote = (label: 'wide' | 'narrow', kept = segments) => `${kept.map(s => s[label]).join(separator)}${kept.some(s => s.unread) ? note : ''}`;
	const tries = [...(width >= 120 ? [eachNoted('wide'), oneNote('wide')] : []), eachNoted('narrow'), ...(unread ? [oneNote('narrow')] : [])];
	const fits = tries.find(line => line.length <= width);
	if (fits) return fits;
	const kept = [...segments];
	while (kept.length > 1 && oneNote('narrow', kept).length > width) {
		const least = kept.reduce((low, s) => (s.keep < low.keep ? s : low));
		kept.splice(kept.indexOf(least), 1);
	}

	return oneNote('narrow', kept).slice(0, width);
}
