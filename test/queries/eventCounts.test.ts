// The live header's event counts, read incrementally (EventCountsTracker):
// call after call they equal counting the whole window, each event is counted
// once however its transaction interleaves with others, and a call reads only
// what finished since the previous one.
import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {EventCountsTracker, eventCounts, type EventCounts} from '../../source/queries/events.js';
import {useTestDatabase} from '../helpers/database.js';
import {insertSession} from '../helpers/fixtures.js';

const db = useTestDatabase();
let client: pg.Client;
const ids: string[] = [];

beforeAll(async () => {
	for (let i = 0; i < 4; i++) ids.push((await insertSession(db().pool, {sessionKey: `counted-${i}`})).id);
	// the monitor's own read-only connection, as the monitor uses it
	client = await connect({dsn: db().url, purpose: 'monitor', component: '-test'});
});
afterAll(async () => client?.end());

const toggle = async (queryable: Pick<pg.ClientBase, 'query'>, id: string) =>
	queryable.query(`UPDATE sessions SET status = CASE status WHEN 'active' THEN 'paused' ELSE 'active' END WHERE id = $1`, [id]);
const shape = (counts: EventCounts) => ({totals: counts.totals, minutes: counts.minutes.map(m => [m.minute.toISOString(), m.counts])});

describe('EventCountsTracker', () => {
	// rereadAfterMs 0: counts the window afresh whenever the horizon stood still since the last call
	it.each([{}, {rereadAfterMs: 0}])('answers what counting the whole window answers, call after call, counting each event once (%o)', async options => {
		const tracker = new EventCountsTracker(options);
		const both = async () => {
			const tracked = await tracker.next(client, {sinceMinutes: 5});
			expect(shape(tracked)).toEqual(shape(await eventCounts(client, {sinceMinutes: 5})));
			return tracked.totals;
		};

		const start = await both();
		await toggle(db().pool, ids[0]!);
		expect((await both()).status_changed).toBe(start.status_changed + 1);

		// a transaction that began first commits last: while it runs, the xmin horizon stays behind it,
		// so the other's event is counted for the answer only, and both are final once it commits
		const longer = await db().pool.connect();
		try {
			await longer.query('BEGIN');
			await toggle(longer, ids[1]!);
			await toggle(db().pool, ids[2]!);
			expect((await both()).status_changed).toBe(start.status_changed + 2);
			expect((await both()).status_changed).toBe(start.status_changed + 2);
			await longer.query('COMMIT');
		} finally {
			await longer.query('ROLLBACK').catch(() => {}); // after a failure: no open transaction back into the pool
			longer.release();
		}

		expect((await both()).status_changed).toBe(start.status_changed + 3);
		expect((await both()).status_changed).toBe(start.status_changed + 3);
	});

	it('reads only what finished since its last call, and keeps to the window', async () => {
		const tracker = new EventCountsTracker();
		const before = (await tracker.next(client, {sinceMinutes: 5})).totals.status_changed;
		// rows it has counted are not read again: one removed behind its back still counts (the table is append-only)
		await db().query(`DELETE FROM session_lifecycle WHERE id = (SELECT id FROM session_lifecycle WHERE event_type = 'status_changed' ORDER BY seq LIMIT 1)`);
		expect((await tracker.next(client, {sinceMinutes: 5})).totals.status_changed).toBe(before);
		expect((await eventCounts(client, {sinceMinutes: 5})).totals.status_changed).toBe(before - 1);

		// an event created ten minutes ago is outside a 5-minute window, one two minutes ago inside
		await db().query(
			`INSERT INTO session_lifecycle (session_id, event_type, created_at)
			 VALUES ($1, 'expired', now() - interval '10 minutes'), ($1, 'dormant', now() - interval '2 minutes')`,
			[ids[3]],
		);
		const after = (await tracker.next(client, {sinceMinutes: 5})).totals;
		expect([after.expired, after.dormant]).toEqual([0, 1]);
		expect((await tracker.next(client, {sinceMinutes: 15})).totals.expired).toBe(1);
	});
});
