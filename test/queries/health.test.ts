// The database health line against a real server: connections used/max as
// pg_stat_activity and max_connections say, transactions per second after
// commits, a transaction left open by another client as the oldest, a backend
// blocked on a row lock as one waiting, and the least-privilege monitor role,
// which reads what it may and says where it cannot (no pg_monitor).
import pg from 'pg';
import {afterEach, describe, expect, it} from 'vitest';
import {type DatabaseHealth, HealthTracker} from '../../source/queries/health.js';
import {useTestDatabase} from '../helpers/database.js';
import {withMonitorRole} from '../helpers/monitorRole.js';

const db = useTestDatabase();
const opened: pg.Client[] = [];

afterEach(async () => {
	await Promise.all(opened.splice(0).map(async client => client.end().catch(() => {})));
});

async function client(connectionString?: string): Promise<pg.Client> {
	const c = await db().connect(connectionString ? {connectionString} : {});
	opened.push(c);
	return c;
}

/** Reads the health line until `check` holds (the statistics a backend reports arrive within a second or so). */
async function healthUntil(tracker: HealthTracker, reader: pg.Client, check: (health: DatabaseHealth) => boolean, what: string): Promise<DatabaseHealth> {
	const deadline = Date.now() + 10_000;
	let last: DatabaseHealth | undefined;
	for (;;) {
		last = await tracker.next(reader);
		if (check(last)) return last;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last read ${JSON.stringify(last)}`);
		await new Promise(resolve => setTimeout(resolve, 100));
	}
}

/** Other test files connect and disconnect on the same server: read until the line and the superuser's count agree. */
async function connectionsMatch(tracker: HealthTracker, reader: pg.Client): Promise<boolean> {
	const deadline = Date.now() + 10_000;
	while (Date.now() < deadline) {
		const read = await tracker.next(reader);
		const [truth] = await db().query<{n: number}>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'`);
		if (read.connections === truth!.n) return true;
	}

	return false;
}

describe('the database health line', () => {
	it('counts connections as pg_stat_activity does, of max_connections', async () => {
		const reader = await client();
		const tracker = new HealthTracker();
		const max = (await db().query<{max: number}>(`SELECT current_setting('max_connections')::int AS max`))[0]!.max;
		expect((await tracker.next(reader)).maxConnections).toBe(max);
		expect(await connectionsMatch(tracker, reader)).toBe(true);
		// three more clients: three more connections
		const before = (await tracker.next(reader)).connections;
		await Promise.all([client(), client(), client()]);
		await healthUntil(tracker, reader, h => h.connections >= before + 3, 'three more connections');
	});

	it('gives transactions per second from the second read on, above 0 after commits', async () => {
		const reader = await client();
		const writer = await client();
		const tracker = new HealthTracker();
		const first = await tracker.next(reader);
		expect(first.tps).toBeNull();
		for (let i = 0; i < 20; i++) await writer.query(`SELECT txid_current()`); // 20 committed transactions
		const later = await healthUntil(tracker, reader, h => h.transactions >= first.transactions + 20, 'the 20 commits counted');
		expect(later.tps).toBeGreaterThan(0);
	});

	it('shows a transaction left open by another client as the oldest, with a plausible age', async () => {
		const reader = await client();
		const idle = await client();
		const tracker = new HealthTracker();
		expect((await tracker.next(reader)).oldestXact).toBeNull();
		await idle.query('BEGIN');
		await idle.query('SELECT txid_current()');
		const pid = (await db().query<{pid: number}>(`SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database()`))[0]!.pid;
		const startedAt = Date.now();
		const health = await healthUntil(tracker, reader, h => (h.oldestXact?.ageMs ?? 0) >= 1000, 'the open transaction a second old');
		expect(health.oldestXactReadable).toBe(true);
		expect(health.oldestXact?.pid).toBe(pid);
		expect(health.oldestXact!.ageMs).toBeLessThanOrEqual(Date.now() - startedAt + 1000);
		await idle.query('COMMIT');
		await healthUntil(tracker, reader, h => h.oldestXact === null, 'no open transaction after COMMIT');
	});

	it('counts a backend blocked on a row lock as one waiting, and none once it is released', async () => {
		await db().query(`INSERT INTO sessions (session_key, agent_from, status) VALUES ('lock-target', 'claude', 'active')`);
		const reader = await client();
		const holder = await client();
		const blocked = await client();
		const tracker = new HealthTracker();
		expect((await tracker.next(reader)).waitingLocks).toBe(0);
		await holder.query('BEGIN');
		await holder.query(`SELECT id FROM sessions WHERE session_key = 'lock-target' FOR UPDATE`);
		const update = blocked.query(`UPDATE sessions SET status = 'paused' WHERE session_key = 'lock-target'`); // in flight, waiting
		update.catch(() => {}); // (a failed test ends the client under it)
		const health = await healthUntil(tracker, reader, h => h.waitingLocks > 0, 'the blocked UPDATE');
		expect(health.waitingLocks).toBe(1);
		await holder.query('COMMIT');
		await update;
		await healthUntil(tracker, reader, h => h.waitingLocks === 0, 'no waiting after the lock is released');
	});

	it('has no replication part on a server without replicas', async () => {
		const health = await new HealthTracker().next(await client());
		expect(health.replication).toBeNull();
	});

	it('as the monitor role (no pg_monitor): connections, tps and waiting locks, the oldest transaction as not readable', async () => {
		await db().query(`INSERT INTO sessions (session_key, agent_from, status) VALUES ('lock-target-2', 'claude', 'active')`);
		await withMonitorRole(db(), async url => {
			const reader = await client(url);
			const holder = await client();
			const blocked = await client();
			const tracker = new HealthTracker();
			await holder.query('BEGIN');
			await holder.query(`SELECT id FROM sessions WHERE session_key = 'lock-target-2' FOR UPDATE`);
			const update = blocked.query(`UPDATE sessions SET status = 'paused' WHERE session_key = 'lock-target-2'`);
			update.catch(() => {});
			const health = await healthUntil(tracker, reader, h => h.waitingLocks > 0, 'the blocked UPDATE, seen by the monitor role');
			expect(health.waitingLocks).toBe(1);
			// the holder's transaction is open, but another role's: hidden without pg_monitor, and said so
			expect(health.oldestXactReadable).toBe(false);
			expect(health.oldestXact).toBeNull();
			expect(await connectionsMatch(tracker, reader)).toBe(true);
			await holder.query('COMMIT');
			await update;
			const later = await healthUntil(tracker, reader, h => h.tps !== null && h.tps > 0, 'a transaction rate');
			expect(later.tps).toBeGreaterThan(0);
		});
	});

	it('reads the oldest transaction as the monitor role once it is granted pg_monitor', async () => {
		await withMonitorRole(db(), async url => {
			// as the README says: the role setup makes is NOINHERIT, so the grant must say it is inherited
			// (PostgreSQL 16+), or the role must inherit (15 and older, where a grant cannot say it)
			const role = new URL(url).username;
			const [{server_version_num: version}] = await db().query('SHOW server_version_num');
			if (Number(version) >= 160_000) await db().query(`GRANT pg_monitor TO ${role} WITH INHERIT TRUE`);
			else {
				await db().query(`GRANT pg_monitor TO ${role}`);
				await db().query(`ALTER ROLE ${role} INHERIT`);
			}

			const reader = await client(url);
			const idle = await client();
			await idle.query('BEGIN');
			await idle.query('SELECT txid_current()');
			const health = await healthUntil(new HealthTracker(), reader, h => h.oldestXact !== null, 'the open transaction');
			expect(health.oldestXactReadable).toBe(true);
			await idle.query('COMMIT');
		});
	});
});
