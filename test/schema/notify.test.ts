// The live-event wake-up on channel handoff_lifecycle: keys-only payload,
// bounded rate, silent while no handoff-top monitor is connected.
import type pg from 'pg';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {useTestDatabase} from '../helpers/database.js';
import {insertSession} from '../helpers/fixtures.js';

const db = useTestDatabase();
let listener: pg.Client | undefined;
let received: Array<{payload: string; at: number}> = [];

async function listenAs(applicationName: string) {
	listener = await db().connect({application_name: applicationName});
	listener.on('notification', message => received.push({payload: message.payload ?? '', at: Date.now()}));
	await listener.query('LISTEN handoff_lifecycle');
	// forget the cached "is anyone listening" answer so the next write re-checks
	await db().query(`UPDATE lifecycle_notify_gate SET listener_checked_at = '-infinity', last_window = 0`);
}

const settle = async (ms = 300) => new Promise(resolve => setTimeout(resolve, ms));

beforeEach(() => {
	received = [];
});
afterEach(async () => {
	await listener?.end();
	listener = undefined;
	await db().query(`UPDATE lifecycle_notify_gate SET listener_pattern = 'handoff-top%', min_interval_ms = 100`);
});

describe('notification on handoff_lifecycle', () => {
	it('wakes a handoff-top listener with keys only, however large the session metadata', async () => {
		await listenAs('handoff-top-feed/test');
		const huge = {blob: 'x'.repeat(1024 * 1024)};
		const {id} = await insertSession(db().pool, {metadata: huge});
		await settle(200);
		expect(received).toHaveLength(1);
		const payload = JSON.parse(received[0]!.payload);
		expect(received[0]!.payload.length).toBeLessThan(400);
		expect(payload).toMatchObject({session_id: id, event_type: 'created', events: 1});
		const [row] = await db().query('SELECT id, xid::text AS xid FROM session_lifecycle WHERE session_id = $1', [id]);
		expect(payload).toMatchObject({event_id: row.id, xid: row.xid});
	});

	it('sends nothing while no handoff-top monitor is connected', async () => {
		await listenAs('some-other-app');
		await insertSession(db().pool);
		await settle();
		expect(received).toEqual([]);
		// the same listener is woken once the gate is told to notify regardless
		await db().query(`UPDATE lifecycle_notify_gate SET listener_pattern = NULL`);
		await insertSession(db().pool);
		await settle(200);
		expect(received).toHaveLength(1);
	});

	it('sends at most one notification per window under a burst of writers', async () => {
		await listenAs('handoff-top-feed/test');
		const started = Date.now();
		const writers = Array.from({length: 4}, async () => {
			for (let i = 0; i < 60; i++) await insertSession(db().pool);
		});
		await Promise.all(writers);
		const elapsed = Date.now() - started;
		await settle(200);
		const windows = Math.ceil(elapsed / 100) + 1;
		expect(received.length).toBeGreaterThanOrEqual(1);
		expect(received.length).toBeLessThanOrEqual(windows);
		expect(received.length).toBeLessThan(240 / 4);
	});

	it('cannot be silenced by calling the gate directly: a claim always wakes the listeners', async () => {
		await listenAs('handoff-top-feed/test');
		await db().query(`SELECT lifecycle_notify_claim('{"forged": true}')`);
		await settle(150);
		const {id} = await insertSession(db().pool);
		await settle(200);
		expect(received.map(r => JSON.parse(r.payload))).toEqual([{forged: true}, expect.objectContaining({session_id: id})]);
	});

	it('never makes a writer wait for another writer whose open transaction holds the gate', async () => {
		await listenAs('handoff-top-feed/test');
		const first = await db().connect();
		const second = await db().connect();
		try {
			await first.query('BEGIN');
			await insertSession(first); // claims this window's wake-up: the gate's row is locked until COMMIT
			expect((await first.query('SELECT last_window FROM lifecycle_notify_gate')).rows[0].last_window).not.toBe('0');
			await settle(150); // the next window: the second writer claims too, and finds the row locked
			await second.query(`SET statement_timeout = '2s'`);
			const {id} = await insertSession(second); // must not wait for the first transaction (it did: 57014 after 2 s)
			expect(id).toBeTruthy();
			await first.query('COMMIT');
		} finally {
			await first.end();
			await second.end();
		}
	});
});
