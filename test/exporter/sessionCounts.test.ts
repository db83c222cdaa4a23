// The exporter's session gauges (source/queries/exporter.ts sessionsByStatus):
// counted exactly up to the bound, estimated from a block sample above it,
// against the database's own counts, on the monitor's read-only connection.
import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {sessionCounting, sessionsByStatus, type SessionCounts} from '../../source/queries/exporter.js';
import {until} from '../commands/binary.js';
import {useTestDatabase} from '../helpers/database.js';

const db = useTestDatabase();
let client: pg.Client;
const total = 6000;

type Exact = Map<string, {sessions: number; archived: number; dormant: number}>;

async function exactCounts(): Promise<Exact> {
	const rows = await db().query<{status: string; sessions: string; archived: string; dormant: string}>(
		`SELECT status, count(*) AS sessions, count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived,
		        count(*) FILTER (WHERE is_dormant AND archived_at IS NULL) AS dormant
		   FROM sessions GROUP BY status`,
	);
	return new Map(rows.map(r => [r.status, {sessions: Number(r.sessions), archived: Number(r.archived), dormant: Number(r.dormant)}]));
}

function byStatus(counts: SessionCounts): Exact {
	return new Map(counts.rows.map(r => [r.status, {sessions: r.sessions, archived: r.archived, dormant: r.dormant}]));
}

beforeAll(async () => {
	// statuses, dormancy and archival interleaved row by row, written once (an update would move rows to other
	// blocks): every block holds the same mix
	// on a connection of its own that ends before the VACUUM: a backend reports its insert count when it ends (else
	// when idle, up to 10 s later), and a count reported after VACUUM's would be added to VACUUM's absolute one (the
	// statistics read twice the rows: CI saw it)
	const writer = await db().connect();
	await writer.query(`
		INSERT INTO sessions (session_key, agent_from, status, is_dormant, archived_at, metadata)
		SELECT 'count-' || g, 'claude', (ARRAY['active', 'active', 'paused', 'completed', 'expired'])[1 + g % 5],
		       g % 10 = 0, CASE WHEN g % 5 >= 3 AND g % 2 = 0 THEN now() END, jsonb_build_object('pad', repeat('x', 200))
		  FROM generate_series(1, ${total}) g`);
	await writer.end();
	client = await connect({dsn: db().url, purpose: 'monitor', component: '-test'});
	const liveRows = async () => (await client.query(`SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'sessions'`)).rows[0]?.n_live_tup;
	await until(async () => (await liveRows()) === String(total), 15_000, 'live rows after the insert');
	const vacuum = await db().connect();
	await vacuum.query('VACUUM ANALYZE sessions');
	await vacuum.end();
	// the statistics' live row count is what the estimate scales to; it follows VACUUM's report
	await until(async () => (await client.query(`SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'sessions'`)).rows[0]?.n_live_tup === String(total), 15_000, 'live rows');
});
afterAll(async () => client?.end());

describe('session gauges', () => {
	it('counts exactly while the table is under the bound: the same numbers as the database, share 1', async () => {
		const counts = await sessionsByStatus(client);
		expect(total).toBeLessThanOrEqual(sessionCounting.exactUpTo);
		expect(counts.sampledShare).toBe(1);
		expect(byStatus(counts)).toEqual(await exactCounts());
	});

	it('above the bound, a sample of every block gives the exact counts again', async () => {
		const counts = await sessionsByStatus(client, {exactUpTo: 0, sampleRows: total, seed: 15});
		expect(counts.sampledShare).toBe(1);
		expect(counts.liveRows).toBe(total);
		expect(byStatus(counts)).toEqual(await exactCounts());
	});

	it('above the bound, a quarter of the blocks is scaled to the live rows: each gauge close to its count, the same each time', async () => {
		const counting = {exactUpTo: 1000, sampleRows: total / 4, seed: 15};
		const counts = await sessionsByStatus(client, counting);
		expect(counts.sampledShare).toBeCloseTo(0.25, 6);
		const exact = await exactCounts();
		expect([...byStatus(counts).keys()].sort()).toEqual([...exact.keys()].sort());
		for (const [status, want] of exact) {
			const got = byStatus(counts).get(status)!;
			// every block holds the same mix, so a block sample's shares are the table's within a few rows per block
			for (const key of ['sessions', 'archived', 'dormant'] as const) expect(Math.abs(got[key] - want[key])).toBeLessThanOrEqual(Math.max(20, want[key] * 0.1));
		}

		const sum = counts.rows.reduce((s, r) => s + r.sessions, 0);
		expect(Math.abs(sum - total)).toBeLessThanOrEqual(counts.rows.length); // rounding only
		// the same blocks every scrape (REPEATABLE): no jitter while nothing changes
		expect(await sessionsByStatus(client, counting)).toEqual(counts);
		// and a different seed reads other blocks, still close
		const other = await sessionsByStatus(client, {...counting, seed: 16});
		for (const [status, want] of exact) expect(Math.abs(byStatus(other).get(status)!.sessions - want.sessions)).toBeLessThanOrEqual(Math.max(20, want.sessions * 0.1));
	});

	it('the sample follows the table: sessions added after the statistics were read show up scaled', async () => {
		// on a connection of its own: a backend reports its statistics when it ends (else when idle, up to 10 s later)
		const writer = await db().connect();
		await writer.query(`INSERT INTO sessions (session_key, agent_from, status) SELECT 'more-' || g, 'claude', 'cancelled' FROM generate_series(1, 2000) g`);
		await writer.end();
		// the statistics' running count includes the new rows once the inserting backend has reported them
		await until(async () => (await client.query(`SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'sessions'`)).rows[0]?.n_live_tup === String(total + 2000), 15_000, 'live rows after the insert');
		const counts = await sessionsByStatus(client, {exactUpTo: 0, sampleRows: total + 2000, seed: 15});
		expect(counts.liveRows).toBe(total + 2000);
		expect(byStatus(counts)).toEqual(await exactCounts());
	});
});
