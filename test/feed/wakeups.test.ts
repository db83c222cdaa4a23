// Wake-ups (issue 17, points 6 and 9): a forged flood of notifications costs
// the feed at most one read per wakeReadIntervalMs; events that arrive by
// polling without wake-ups are shown as such; a lost gate row comes back.
import pg from 'pg';
import {describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {createEventFeed, type FeedStatus, type LifecycleEvent} from '../../source/feed/eventFeed.js';
import {useTestDatabase} from '../helpers/database.js';
import {until} from '../helpers/replica.js';

const db = useTestDatabase();

async function write(keys: string[]): Promise<void> {
	for (const key of keys) await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'w')`, [key]);
}

function feedOn(options: {pollIntervalMs: number; quietMs?: number; wakeReadIntervalMs?: number}) {
	const events: LifecycleEvent[] = [];
	const statuses: FeedStatus[] = [];
	const feed = createEventFeed({
		connect: async () => connect({dsn: db().url, purpose: 'monitor', component: '-feed'}),
		onEvents: batch => events.push(...batch),
		onStatus: s => statuses.push(s),
		...options,
	});
	return {feed, events, statuses};
}

describe('wake-ups', () => {
	it('a forged flood of pg_notify costs the feed at most one read per 100 ms, and real events still arrive exactly once', async () => {
		const {feed, events} = feedOn({pollIntervalMs: 2000});
		const forger = await db().connect();
		try {
			await feed.start();
			const before = feed.stats();
			const started = Date.now();
			let round = 0;
			const flood = (async () => {
				while (Date.now() - started < 2000) {
					// distinct payloads: PostgreSQL folds identical ones of a transaction into one
					await forger.query(`SELECT pg_notify('handoff_lifecycle', $1 || g) FROM generate_series(1, 500) g`, [`forged-${round++}-`]);
				}
			})();
			await write(Array.from({length: 20}, (_, i) => `flooded-${i}`));
			await flood;
			const elapsed = Date.now() - started;
			await until(() => events.filter(e => e.sessionKey?.startsWith('flooded-')).length >= 20, 10_000, 'real events');
			// what a flood leaves queued reaches the feed a little later: let it drain
			let last = -1;
			await until(
				() => {
					const now = feed.stats().notifications;
					const settled = now === last;
					last = now;
					return settled;
				},
				10_000,
				'notifications drained',
			);
			const after = feed.stats();
			const spent = Date.now() - started;
			const notifications = after.notifications - before.notifications;
			const reads = after.reads - before.reads;
			expect(notifications).toBeGreaterThan(5000);
			// one wake-up read per 100 ms, the safety polls, a trailing read, a read that was running
			expect(reads).toBeLessThanOrEqual(Math.ceil(spent / 100) + Math.ceil(spent / 2000) + 4);
			expect(reads).toBeLessThan(notifications / 50);
			expect(elapsed).toBeGreaterThanOrEqual(2000);
			const keys = events.filter(e => e.sessionKey?.startsWith('flooded-')).map(e => e.sessionKey);
			expect(keys).toEqual(Array.from({length: 20}, (_, i) => `flooded-${i}`));
		} finally {
			await forger.end();
			await feed.stop();
		}
	});

	it('a longer wake-up read interval puts reads off; shortening it reads what waits at once', async () => {
		// no safety poll in the test's time: only wake-up reads deliver
		const {feed, events} = feedOn({pollIntervalMs: 600_000, wakeReadIntervalMs: 30_000});
		try {
			await feed.start();
			await write(['paced-first']);
			// the first wake-up reads at once
			await until(() => events.some(e => e.sessionKey === 'paced-first'), 10_000, 'the first event');
			const reads = feed.stats().reads;
			await write(['paced-second']);
			await new Promise(resolve => setTimeout(resolve, 1500));
			expect(events.map(e => e.sessionKey)).not.toContain('paced-second');
			expect(feed.stats().reads).toBe(reads);
			const shortened = Date.now();
			feed.setWakeReadInterval(100);
			await until(() => events.some(e => e.sessionKey === 'paced-second'), 10_000, 'the waiting event');
			expect(Date.now() - shortened).toBeLessThan(1000);
			expect(events.map(e => e.sessionKey)).toEqual(['paced-first', 'paced-second']);
			expect(() => feed.setWakeReadInterval(-1)).toThrow(RangeError);
		} finally {
			await feed.stop();
		}
	});

	it('events arriving by polling with no wake-up are shown as "missing" wake-ups, and live again when wake-ups return', async () => {
		const {feed, events, statuses} = feedOn({pollIntervalMs: 300, quietMs: 500});
		try {
			await feed.start();
			expect(statuses.at(-1)).toMatchObject({state: 'live', wakeups: 'notify'});
			// nobody matches the listener pattern: writers send no wake-up
			await db().query(`UPDATE lifecycle_notify_gate SET listener_pattern = 'nobody-listens%', listener_checked_at = '-infinity'`);
			let i = 0;
			await until(
				async () => {
					await write([`quiet-${i++}`]);
					await new Promise(resolve => setTimeout(resolve, 50));
					return statuses.at(-1)?.wakeups === 'missing';
				},
				15_000,
				'wake-ups missing',
			);
			expect(statuses.at(-1)).toMatchObject({state: 'live', wakeups: 'missing', pollIntervalMs: 300});
			await db().query(`UPDATE lifecycle_notify_gate SET listener_pattern = 'handoff-top%', listener_checked_at = '-infinity'`);
			await until(
				async () => {
					await write([`quiet-${i++}`]);
					await new Promise(resolve => setTimeout(resolve, 50));
					return statuses.at(-1)?.wakeups === 'notify';
				},
				15_000,
				'wake-ups back',
			);
			await until(() => events.filter(e => e.sessionKey?.startsWith('quiet-')).length === i, 10_000, 'every event');
			expect(events.filter(e => e.sessionKey?.startsWith('quiet-')).map(e => e.sessionKey)).toEqual(Array.from({length: i}, (_, n) => `quiet-${n}`));
		} finally {
			await feed.stop();
		}
	});

	it('a deleted gate row is re-created by the next write, which wakes the listener', async () => {
		await db().query('DELETE FROM lifecycle_notify_gate');
		const listener = new pg.Client({connectionString: db().url, application_name: 'handoff-top-test-listener'});
		await listener.connect();
		try {
			const received: string[] = [];
			listener.on('notification', n => received.push(n.payload ?? ''));
			await listener.query('LISTEN handoff_lifecycle');
			let i = 0;
			await until(
				async () => {
					await write([`regate-${i++}`]);
					await new Promise(resolve => setTimeout(resolve, 100));
					return received.length > 0;
				},
				10_000,
				'a wake-up',
			);
			const rows = await db().query<{n: number}>('SELECT count(*)::int AS n FROM lifecycle_notify_gate');
			expect(rows[0]!.n).toBe(1);
		} finally {
			await listener.end();
		}
	});
});
