import type pg from 'pg';
import {afterEach, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {createEventFeed, type EventFeed, type FeedStatus, type LifecycleEvent} from '../../source/feed/eventFeed.js';
import {useTestDatabase} from '../helpers/database.js';

const db = useTestDatabase();
const feeds: EventFeed[] = [];
const clients: pg.Client[] = [];

afterEach(async () => {
	await Promise.all(feeds.splice(0).map(async feed => feed.stop()));
	await Promise.all(clients.splice(0).map(async client => client.end().catch(() => {})));
});

async function client(): Promise<pg.Client> {
	const c = await db().connect({application_name: 'writer'});
	clients.push(c);
	return c;
}

function follow(options: {start?: Date | 'now'; history?: number; pollIntervalMs?: number; batchLimit?: number} = {}) {
	const events: LifecycleEvent[] = [];
	const statuses: FeedStatus[] = [];
	const feed = createEventFeed({
		connect: async () => connect({dsn: db().url, purpose: 'monitor', component: '-feed'}),
		onEvents: batch => events.push(...batch),
		onStatus: status => statuses.push(status),
		backoff: {initialMs: 100, maxMs: 400},
		...options,
	});
	feeds.push(feed);
	return {feed, events, statuses};
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
	const started = Date.now();
	while (!(await condition())) {
		if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 10));
	}
}

let counter = 0;
const key = (prefix: string) => `${prefix}-${++counter}-${Date.now()}`;

describe('event feed', () => {
	it('with history, first delivers the newest events committed before a now start, in order, then the live ones: no duplicate, no gap', async () => {
		const before = [key('old'), key('old'), key('old'), key('old')];
		for (const k of before) await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [k]);
		// a transaction open across the start commits after it: live, not history
		const open = await client();
		const kOpen = key('open');
		await open.query('BEGIN');
		await open.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [kOpen]);
		const {feed, events} = follow({history: 3, pollIntervalMs: 100});
		await feed.start();
		expect(events.map(e => e.sessionKey)).toEqual(before.slice(1));
		const kAfter = key('after');
		await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [kAfter]);
		await open.query('COMMIT');
		await until(() => events.some(e => e.sessionKey === kOpen) && events.some(e => e.sessionKey === kAfter));
		await new Promise(resolve => setTimeout(resolve, 300));
		const keys = events.map(e => e.sessionKey);
		expect(keys.slice(0, 3)).toEqual(before.slice(1));
		expect(keys.slice(3).sort()).toEqual([kAfter, kOpen].sort());
		expect(new Set(events.map(e => e.id)).size).toBe(events.length);
	});

	it("starts at the head with 'now' and delivers new events only", async () => {
		await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [key('before')]);
		const {feed, events, statuses} = follow({pollIntervalMs: 200});
		await feed.start();
		expect(statuses.at(-1)?.state).toBe('live');
		const k = key('after');
		await db().query(`INSERT INTO sessions (session_key, agent_from, agent_to) VALUES ($1, 'alice', 'bob')`, [k]);
		await until(() => events.length >= 1);
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(events).toHaveLength(1);
		expect(events[0]).toMatchObject({sessionKey: k, agentFrom: 'alice', agentTo: 'bob', eventType: 'created'});
		expect(events[0]!.eventData).toMatchObject({status: 'active'});
		expect(feed.cursor()).toEqual({xid: events[0]!.xid, seq: events[0]!.seq});
	});

	it('delivers events committed out of order, in xid order, each once, and reports the transaction holding it back', async () => {
		const {feed, events, statuses} = follow({pollIntervalMs: 100});
		await feed.start();
		const early = await client();
		const late = await client();
		const kEarly = key('early');
		const kLate = key('late');
		await early.query('BEGIN');
		await early.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [kEarly]);
		await late.query('BEGIN');
		await late.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [kLate]);
		await late.query('COMMIT'); // the later transaction commits first
		await until(() => statuses.some(s => s.heldBackBy !== undefined));
		expect(events.filter(e => e.sessionKey === kLate)).toHaveLength(0); // held back, not skipped
		const held = statuses.find(s => s.heldBackBy)!.heldBackBy!;
		const xid = String((await early.query('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid);
		expect(held.xid).toBe(xid);
		await early.query('COMMIT');
		await until(() => events.length >= 2);
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(events.map(e => e.sessionKey)).toEqual([kEarly, kLate]);
		expect(BigInt(events[0]!.xid) < BigInt(events[1]!.xid)).toBe(true);
		await until(() => statuses.at(-1)?.heldBackBy === undefined);
	});

	it('wakes on NOTIFY well before the poll interval', async () => {
		const {feed, events} = follow({pollIntervalMs: 60_000});
		await feed.start();
		await new Promise(resolve => setTimeout(resolve, 1100)); // the gate sees the listener
		const latencies: number[] = [];
		for (let i = 0; i < 5; i++) {
			const before = events.length;
			const started = Date.now();
			await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [key('wake')]);
			await until(() => events.length > before, 5000);
			latencies.push(Date.now() - started);
			await new Promise(resolve => setTimeout(resolve, 150)); // next notify window
		}

		console.log(`wake-up latency ms: ${latencies.join(', ')}`);
		expect(Math.max(...latencies)).toBeLessThan(1000);
	});

	it('reads the rows of a whole notify window, not only the one that notified', async () => {
		const {feed, events} = follow({pollIntervalMs: 60_000});
		await feed.start();
		await new Promise(resolve => setTimeout(resolve, 1100));
		const writers = await Promise.all([client(), client(), client(), client()]);
		await Promise.all(
			writers.map(async (w, i) => {
				for (let j = 0; j < 25; j++) await w.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [key(`burst${i}`)]);
			}),
		);
		await until(() => events.length >= 100, 5000);
		expect(new Set(events.map(e => e.id)).size).toBe(100);
	});

	it('starts from a time: events created at or after it, none before', async () => {
		const old = key('old');
		await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [old]);
		await new Promise(resolve => setTimeout(resolve, 50));
		const now = (await db().query<{now: Date}>('SELECT now()'))[0]!.now;
		const recent = [key('recent'), key('recent')];
		for (const k of recent) await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [k]);
		const {feed, events} = follow({start: now, pollIntervalMs: 200, batchLimit: 1});
		await feed.start();
		await until(() => events.length >= 2);
		const later = key('later');
		await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [later]);
		await until(() => events.length >= 3);
		expect(events.map(e => e.sessionKey)).toEqual([...recent, later]);
	});

	it('recovers from killed backends without losing or repeating events', async () => {
		const {feed, events, statuses} = follow({pollIntervalMs: 200});
		await feed.start();
		const writer = await client();
		const admin = await client();
		const written: string[] = [];
		for (let round = 0; round < 5; round++) {
			for (let i = 0; i < 20; i++) {
				const k = key('kill');
				await writer.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [k]);
				written.push(k);
			}

			await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			                    WHERE datname = current_database() AND application_name LIKE 'handoff-top-feed%'`);
		}

		// One more event after the last kill: the feed can only deliver it from a new
		// connection, so waiting for it and for 'live' does not depend on how long the
		// reconnect takes (a fixed pause after the last kill could end mid-backoff).
		const last = key('kill');
		await writer.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [last]);
		written.push(last);
		await until(() => events.length >= written.length && statuses.at(-1)?.state === 'live', 20_000);
		await new Promise(resolve => setTimeout(resolve, 500)); // anything extra would show now
		expect(events.map(e => e.sessionKey)).toEqual(written);
		expect(statuses.some(s => s.state === 'disconnected' && s.lastError)).toBe(true);
		expect(statuses.at(-1)?.state).toBe('live');
	});
});

describe('notification gate', () => {
	async function plainListener(): Promise<{received: string[]; client: pg.Client}> {
		const listener = await db().connect({application_name: 'not-a-monitor'});
		clients.push(listener);
		const received: string[] = [];
		listener.on('notification', n => received.push(n.payload ?? ''));
		await listener.query('LISTEN handoff_lifecycle');
		return {received, client: listener};
	}

	it('sends nothing while no handoff-top backend is connected to the database', async () => {
		const {received} = await plainListener();
		await new Promise(resolve => setTimeout(resolve, 1100)); // older presence checks expire
		for (let i = 0; i < 5; i++) {
			await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [key('quiet')]);
			await new Promise(resolve => setTimeout(resolve, 120));
		}

		await new Promise(resolve => setTimeout(resolve, 200));
		expect(received).toEqual([]);
	});

	it('sends at most one notification per window under a burst, with keys only', async () => {
		const {received} = await plainListener();
		const monitor = await connect({dsn: db().url, purpose: 'monitor', component: '-feed'});
		clients.push(monitor);
		await new Promise(resolve => setTimeout(resolve, 1100));
		const writers = await Promise.all([client(), client(), client(), client()]);
		const started = Date.now();
		await Promise.all(
			writers.map(async (w, i) => {
				for (let j = 0; j < 50; j++) await w.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'a')`, [key(`gate${i}`)]);
			}),
		);
		const elapsed = Date.now() - started;
		await until(() => received.length >= 1, 5000); // delivery is asynchronous: wait for the first, not a fixed time
		await new Promise(resolve => setTimeout(resolve, 200)); // later ones of the burst arrive by now
		expect(received.length).toBeGreaterThanOrEqual(1);
		expect(received.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
		expect(received.length).toBeLessThan(200);
		const payload = JSON.parse(received[0]!) as Record<string, unknown>;
		expect(Object.keys(payload).sort()).toEqual(['event_id', 'event_type', 'events', 'session_id', 'xid']);
	});
});
