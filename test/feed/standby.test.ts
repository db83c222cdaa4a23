// The event feed where operators run it (issue 17, points 5-7): a hot standby
// made with pg_basebackup -R from a private PostgreSQL 15 primary; a crash of
// the primary; the standby's promotion; a failover to another cluster.
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {applyMigrations, loadMigrations} from '../../source/db/migrations.js';
import {createEventFeed, type FeedStatus, type LifecycleEvent} from '../../source/feed/eventFeed.js';
import {buildBinary, exited, runBinary, start} from '../commands/binary.js';
import {replicaUnavailable, startPrimary, startStandby, until, type Cluster} from '../helpers/replica.js';

const unavailable = replicaUnavailable();
if (unavailable) console.warn(`skipping the standby tests: ${unavailable}`);

let primary: (Cluster & {password: string}) | undefined;
let standby: Cluster | undefined;
let other: (Cluster & {password: string}) | undefined;
let bin: string;
let remove: (() => void) | undefined;

async function migrate(cluster: Cluster, database = 'handoff', upTo = Number.POSITIVE_INFINITY): Promise<void> {
	await cluster.query(`CREATE DATABASE ${database}`);
	const client = new pg.Client({connectionString: cluster.url(database)});
	await client.connect();
	try {
		await applyMigrations(client, {migrations: loadMigrations().filter(m => m.version <= upTo)});
	} finally {
		await client.end();
	}
}

beforeAll(async () => {
	if (unavailable) return;
	({bin, remove} = await buildBinary());
	primary = await startPrimary();
	await migrate(primary);
	await migrate(primary, 'before011', 10); // the unlogged gate of 003
	standby = await startStandby(primary);
}, 120_000);
afterAll(async () => {
	await standby?.destroy();
	await primary?.destroy();
	await other?.destroy();
	remove?.();
}, 60_000);

const jsonLines = (text: string) =>
	text
		.split('\n')
		.filter(line => line !== '')
		.map(line => JSON.parse(line) as {id: string; session_key: string; event_type: string; xid: string; seq: string});

/** Sessions and a status change each, in small transactions, as the handoff server writes them. */
async function writeSessions(cluster: Cluster, prefix: string, count: number): Promise<void> {
	const client = new pg.Client({connectionString: cluster.url('handoff')});
	await client.connect();
	try {
		for (let i = 0; i < count; i++) {
			await client.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'writer')`, [`${prefix}-${i}`]);
			if (i % 3 === 0) await client.query(`UPDATE sessions SET status = 'completed' WHERE session_key = $1`, [`${prefix}-${i}`]);
		}
	} finally {
		await client.end();
	}
}

/** The table's events of these sessions in cursor order: what an exactly-once reader delivers. */
async function tableEvents(cluster: Cluster, prefix: string): Promise<string[]> {
	const rows = await cluster.query<{id: string}>(
		`SELECT l.id FROM session_lifecycle l JOIN sessions s ON s.id = l.session_id WHERE s.session_key LIKE $1 ORDER BY l.xid, l.seq`,
		[`${prefix}-%`],
		'handoff',
	);
	return rows.map(row => row.id);
}

async function listenerGetsWakeup(cluster: Cluster, key: string): Promise<void> {
	const listener = new pg.Client({connectionString: cluster.url('handoff'), application_name: 'handoff-top-test-listener'});
	await listener.connect();
	try {
		const received: string[] = [];
		listener.on('notification', n => received.push(n.payload ?? ''));
		await listener.query('LISTEN handoff_lifecycle');
		// the gate looks for listeners at most once a second: write until one notification arrives
		let i = 0;
		await until(
			async () => {
				if (received.length > 0) return true;
				await cluster.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'w')`, [`${key}-${i++}`], 'handoff');
				await new Promise(resolve => setTimeout(resolve, 100));
				return received.length > 0;
			},
			10_000,
			'a wake-up after a write',
		);
		expect(JSON.parse(received[0]!)).toHaveProperty('event_id');
	} finally {
		await listener.end();
	}
}

describe.skipIf(unavailable !== undefined)('on a hot standby (PostgreSQL 15, pg_basebackup -R)', () => {
	it('tail --json follows by polling and delivers exactly the primary’s events while writes happen; the feed says standby', async () => {
		const tail = start(bin, ['tail', '--json', '--interval', '0.5', '--dsn', standby!.url('handoff')]);
		const statuses: FeedStatus[] = [];
		const events: LifecycleEvent[] = [];
		const feed = createEventFeed({
			connect: async () => connect({dsn: standby!.url('handoff'), purpose: 'monitor', component: '-feed'}),
			onEvents: batch => events.push(...batch),
			onStatus: s => statuses.push(s),
			pollIntervalMs: 300,
		});
		try {
			await until(() => tail.output.stderr.includes('following'), 15_000, 'tail live');
			expect(tail.output.stderr).toContain('standby · polling every 0.5 s');
			await feed.start();
			expect(statuses.at(-1)).toMatchObject({state: 'live', wakeups: 'standby', pollIntervalMs: 300});

			await Promise.all([writeSessions(primary!, 'sb', 60), writeSessions(primary!, 'sc', 60)]);
			const expected = [...(await tableEvents(primary!, 'sb')), ...(await tableEvents(primary!, 'sc'))];
			expect(expected.length).toBe(160);
			const ours = (ids: string[]) => ids.filter(id => expected.includes(id));
			await until(() => ours(jsonLines(tail.output.stdout).map(e => e.id)).length >= expected.length, 20_000, 'tail caught up');
			await until(() => ours(events.map(e => e.id)).length >= expected.length, 20_000, 'feed caught up');
			// exactly once, in the primary's cursor order
			const order = await primary!.query<{id: string}>(
				`SELECT l.id FROM session_lifecycle l JOIN sessions s ON s.id = l.session_id WHERE s.session_key LIKE 'sb-%' OR s.session_key LIKE 'sc-%' ORDER BY l.xid, l.seq`,
				[],
				'handoff',
			);
			expect(ours(jsonLines(tail.output.stdout).map(e => e.id))).toEqual(order.map(r => r.id));
			expect(ours(events.map(e => e.id))).toEqual(order.map(r => r.id));
			expect(tail.output.stderr).not.toMatch(/LISTEN|disconnected|error/i);
			expect(statuses.every(s => s.state !== 'disconnected')).toBe(true);
		} finally {
			tail.kill('SIGTERM');
			await feed.stop();
		}

		expect(await exited(tail)).toBe(0);
	});

	it('validate works on the standby (exit 0), and so do the monitor’s queries (snapshot)', async () => {
		const snapshot = await runBinary(bin, ['snapshot', '--dsn', standby!.url('handoff')]);
		expect(snapshot.stderr).toBe('');
		expect(snapshot.code).toBe(0);
		expect(snapshot.stdout).toContain('Sessions');

		const result = await runBinary(bin, ['validate', '--dsn', standby!.url('handoff')]);
		expect(result.stderr).toBe('');
		expect(result.code).toBe(0);
		const json = await runBinary(bin, ['validate', '--json', '--dsn', standby!.url('handoff')]);
		expect(JSON.parse(json.stdout)).toMatchObject({ok: true});
		const [gate] = await standby!.query<{n: number}>('SELECT count(*)::int AS n FROM lifecycle_notify_gate', [], 'handoff');
		expect(gate!.n).toBe(1);

		// a database not migrated to 011 yet: drift (the gate's persistence, the missing migration), not 'could not check'
		const before = await runBinary(bin, ['validate', '--json', '--dsn', standby!.url('before011')]);
		expect(before.code).toBe(4);
		const report = JSON.parse(before.stdout) as {differences: Array<{name: string; severity: string}>};
		expect(report.differences.filter(d => d.severity === 'error').map(d => d.name)).toEqual(
			expect.arrayContaining(['lifecycle_notify_gate', expect.stringContaining('011')]),
		);
	});

	it('after a crash of the primary (pg_ctl -m immediate) the gate keeps its row and a write wakes a listener', async () => {
		await primary!.stop('immediate');
		await primary!.start();
		const [gate] = await primary!.query<{n: number; persistence: string}>(
			`SELECT (SELECT count(*)::int FROM lifecycle_notify_gate) AS n, relpersistence::text AS persistence FROM pg_class WHERE relname = 'lifecycle_notify_gate'`,
			[],
			'handoff',
		);
		expect(gate).toEqual({n: 1, persistence: 'p'});
		await listenerGetsWakeup(primary!, 'crash');
	});

	it('tail on the standby through its promotion: keeps delivering, misses and repeats nothing, says so; the wake-up works on the new primary', async () => {
		const tail = start(bin, ['tail', '--json', '--interval', '0.5', '--dsn', standby!.url('handoff')]);
		try {
			await until(() => tail.output.stderr.includes('following'), 15_000, 'tail live');
			await writeSessions(primary!, 'pa', 30);
			const before = await tableEvents(primary!, 'pa');
			const delivered = () => jsonLines(tail.output.stdout).filter(e => /^p[ab]-/.test(e.session_key)).length;
			await until(() => delivered() >= before.length, 20_000, 'replicated events delivered');
			// the failover: the primary goes (a fast stop ships all its WAL), the standby is promoted
			await primary!.stop('fast');
			await standby!.promote();
			await writeSessions(standby!, 'pb', 30);
			const after = await tableEvents(standby!, 'pb');
			await until(() => delivered() >= before.length + after.length, 20_000, 'events after the promotion');
			await until(() => tail.output.stderr.includes('promoted'), 10_000, 'promotion said');
			// (the previous test's writes may reach the standby after tail started)
			const ours = jsonLines(tail.output.stdout).filter(e => /^p[ab]-/.test(e.session_key));
			expect(ours.map(e => e.id)).toEqual([...before, ...after]);
		} finally {
			tail.kill('SIGTERM');
		}

		expect(await exited(tail)).toBe(0);
		const [gate] = await standby!.query<{n: number}>('SELECT count(*)::int AS n FROM lifecycle_notify_gate', [], 'handoff');
		expect(gate!.n).toBe(1);
		await listenerGetsWakeup(standby!, 'promoted');
	});

	it('a failover to another cluster resumes by created_at and says why', async () => {
		other = await startPrimary();
		await migrate(other);
		let target = standby!;
		const events: LifecycleEvent[] = [];
		const notices: string[] = [];
		const feed = createEventFeed({
			connect: async () => connect({dsn: target.url('handoff'), purpose: 'monitor', component: '-feed'}),
			onEvents: batch => events.push(...batch),
			onStatus: () => {},
			onNotice: text => notices.push(text),
			pollIntervalMs: 300,
			backoff: {initialMs: 50, maxMs: 200},
		});
		try {
			await feed.start();
			// the old server's transaction ids run ahead of the new cluster's
			await standby!.query(`DO $$ BEGIN FOR i IN 1..200 LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`, undefined, 'handoff');
			await writeSessions(standby!, 'fa', 5);
			await until(() => events.filter(e => e.sessionKey?.startsWith('fa-')).length === 7, 10_000, 'events on the first server');
			const cursorXid = BigInt(feed.cursor()!.xid);
			const [{next}] = (await other.query<{next: string}>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next', [], 'handoff')) as [{next: string}];
			expect(cursorXid).toBeGreaterThan(BigInt(next));

			target = other;
			await standby!.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'handoff-top-feed%' AND pid <> pg_backend_pid()`, [], 'handoff');
			await writeSessions(other, 'fb', 5);
			await until(() => events.filter(e => e.sessionKey?.startsWith('fb-')).length === 7, 15_000, 'events on the other cluster');
			expect(notices.join('\n')).toMatch(/not comparable with the cursor: another cluster .* resuming from events created at or after/);
			expect(events.filter(e => e.sessionKey?.startsWith('fb-')).map(e => e.id)).toEqual(await tableEvents(other, 'fb'));
		} finally {
			await feed.stop();
		}
	});
});
