import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {createEventFeed, type LifecycleEvent} from '../../source/feed/eventFeed.js';
import {useTestDatabase} from '../helpers/database.js';
import {buildBinary, exited, runBinary, start, until} from './binary.js';

const db = useTestDatabase();
const empty = useTestDatabase({schema: false});
let bin: string;
let remove: () => void;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
});
afterAll(() => remove?.());

const jsonLines = (text: string) =>
	text
		.split('\n')
		.filter(line => line !== '')
		.map(line => JSON.parse(line) as Record<string, unknown>);

describe('handoff-top tail', () => {
	it('prints events committed by another connection as JSON lines, status on stderr, exits 0 on SIGTERM', async () => {
		const tail = start(bin, ['tail', '--json', '--dsn', db().url]);
		await until(() => tail.output.stderr.includes('following'), 15_000, 'tail live');
		await db().query(`INSERT INTO sessions (session_key, agent_from, agent_to) VALUES ('tail-1', 'alice', 'bob')`);
		await db().query(`UPDATE sessions SET status = 'completed' WHERE session_key = 'tail-1'`);
		await until(() => tail.output.stdout.split('\n').length > 2, 5000, 'two events');
		tail.kill('SIGTERM');
		expect(await exited(tail)).toBe(0);
		const events = jsonLines(tail.output.stdout);
		expect(events.map(e => e['event_type'])).toEqual(['created', 'status_changed']);
		expect(events[0]).toMatchObject({session_key: 'tail-1', agent_from: 'alice', agent_to: 'bob', event_data: {status: 'active'}});
		for (const key of ['id', 'session_id', 'session_key', 'event_type', 'event_data', 'created_at']) expect(events[1]).toHaveProperty(key);
		expect(events[1]!['event_data']).toMatchObject({old_status: 'active', new_status: 'completed'});
		const [row] = await db().query<{id: string}>(`SELECT l.id FROM session_lifecycle l JOIN sessions s ON s.id = l.session_id WHERE s.session_key = 'tail-1' AND l.event_type = 'created'`);
		expect(events[0]!['id']).toBe(row!.id);
		expect(tail.output.stderr).not.toMatch(/error/i);
	});

	it('prints one text line per event and replays from --since', async () => {
		await db().query(`INSERT INTO sessions (session_key, agent_from) VALUES ('since-1', 'carol')`);
		const tail = start(bin, ['tail', '--since', '10m', '--dsn', db().url]);
		await until(() => tail.output.stdout.includes('since-1'), 10_000, 'replayed event');
		tail.kill('SIGINT');
		expect(await exited(tail)).toBe(0);
		const line = tail.output.stdout.split('\n').find(l => l.includes('since-1'))!;
		expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\S+Z {2}\+ created\s+ {2}since-1\s{2,}carol\s{2,}status=active policy=standard$/);
		expect(tail.output.stdout).toContain('tail-1'); // from the previous test, within 10 minutes
	});

	it('rejects bad input with one line and the documented codes', async () => {
		const since = await runBinary(bin, ['tail', '--since', 'yesterday', '--dsn', db().url]);
		expect(since.code).toBe(2);
		expect(since.stderr.trim().split('\n')).toHaveLength(1);
		expect(since.stderr).toContain('--since must be an ISO time');
		expect(since.stdout).toBe('');

		const malformed = await runBinary(bin, ['tail', '--dsn', 'mysql://x']);
		expect(malformed.code).toBe(2);
		expect(malformed.stderr).toMatch(/malformed --dsn/);

		const refused = await runBinary(bin, ['tail', '--dsn', 'postgres://postgres@127.0.0.1:1/postgres']);
		expect(refused.code).toBe(3);
		expect(refused.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1\/postgres: connection refused/);

		const noSchema = await runBinary(bin, ['tail', '--dsn', empty().url]);
		expect(noSchema.code).toBe(6);
		expect(noSchema.stderr).toMatch(/no handoff schema/);

		const args = await runBinary(bin, ['tail', 'extra', '--dsn', db().url]);
		expect(args.code).toBe(2);
	});
});

describe('faults', () => {
	it("holds every event exactly once while tail's and the feed's backends are killed under thousands of writes", async () => {
		const url = db().url;
		const [{head}] = (await db().query<{head: string}>(`SELECT coalesce(max(seq), 0)::text AS head FROM session_lifecycle`)) as [{head: string}];
		const tail = start(bin, ['tail', '--json', '--interval', '1', '--dsn', url]);
		await until(() => tail.output.stderr.includes('following'), 15_000, 'tail live');

		const fed: LifecycleEvent[] = [];
		const feed = createEventFeed({
			connect: async () => connect({dsn: url, purpose: 'monitor', component: '-feed'}),
			onEvents: batch => fed.push(...batch),
			onStatus: () => {},
			pollIntervalMs: 1000,
			backoff: {initialMs: 50, maxMs: 400},
		});
		await feed.start();

		const writers = 4;
		const perWriter = 600; // each session: created + status_changed = 2 events → 4 800 events
		let writing = true;
		const started = Date.now();
		const write = async (w: number) => {
			const client = await db().connect({application_name: 'writer'});
			try {
				for (let i = 0; i < perWriter; i++) {
					const key = `fault-${w}-${i}`;
					await client.query('BEGIN');
					await client.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'w')`, [key]);
					if (i % 3 === 0) await client.query(`SELECT pg_sleep(0.002)`); // overlap: commits out of start order
					await client.query('COMMIT');
					await client.query(`UPDATE sessions SET status = 'completed' WHERE session_key = $1`, [key]);
				}
			} finally {
				await client.end();
			}
		};

		// Reconnects are a precondition of what this test proves, so the killer
		// does not stop after a fixed time: it kills every 300 ms through the whole
		// write, then goes on (at most 20 s) until the tail has reconnected at least
		// twice and at least four backends are down. After the write it kills the
		// tail again only once the tail is live again since its last kill, so each
		// of those kills is a reconnect: the tail's backoff (0.5 s doubling to 10 s
		// while it never gets live) cannot outlast the window.
		const liveLines = () => (tail.output.stderr.match(/following|reconnected/g) ?? []).length;
		const reconnected = () => (tail.output.stderr.match(/reconnected/g) ?? []).length;
		let killingAfter = 0;
		const killer = (async () => {
			const admin = await db().connect({application_name: 'killer'});
			let kills = 0;
			let liveAtTailKill = 0;
			const kill = async () => {
				const {rows} = await admin.query<{tail: boolean; killed: boolean}>(
					`SELECT application_name ~ '^handoff-top-tail/' AS tail, pg_terminate_backend(pid) AS killed FROM pg_stat_activity
					  WHERE datname = current_database() AND application_name ~ '^handoff-top-(tail|feed)/'`,
				);
				const live = liveLines();
				kills += rows.filter(r => r.killed).length;
				if (rows.some(r => r.tail && r.killed)) liveAtTailKill = live;
			};

			try {
				while (writing) {
					await new Promise(resolve => setTimeout(resolve, 300));
					await kill();
				}

				const writeEnded = Date.now();
				const deadline = writeEnded + 20_000;
				while ((reconnected() < 2 || kills < 4) && Date.now() < deadline) {
					await new Promise(resolve => setTimeout(resolve, 300));
					if (liveLines() > liveAtTailKill) await kill();
				}
				killingAfter = (Date.now() - writeEnded) / 1000;
			} finally {
				await admin.end();
			}

			return kills;
		})();
		await Promise.all(Array.from({length: writers}, async (_, w) => write(w)));
		const writeSeconds = (Date.now() - started) / 1000;
		writing = false;
		const kills = await killer;

		const expected = (await db().query<{id: string}>(`SELECT id FROM session_lifecycle WHERE seq > $1 ORDER BY xid, seq`, [head])).map(r => r.id);
		expect(expected.length).toBe(writers * perWriter * 2);
		await until(() => tail.output.stdout.split('\n').length > expected.length, 30_000, 'tail caught up');
		await until(() => fed.length >= expected.length, 30_000, 'feed caught up');
		await new Promise(resolve => setTimeout(resolve, 1500)); // anything extra would show now
		tail.kill('SIGTERM');
		expect(await exited(tail)).toBe(0);
		await feed.stop();

		const printed = jsonLines(tail.output.stdout).map(e => String(e['id']));
		const fromTail = printed;
		expect(new Set(fromTail).size).toBe(fromTail.length); // none twice
		expect(fromTail).toEqual(expected); // every one, in cursor order
		expect(fed.map(e => e.id)).toEqual(expected);
		const reconnects = reconnected();
		console.log(
			`fault test: ${expected.length} events in ${writeSeconds.toFixed(1)} s (${Math.round(expected.length / writeSeconds)} events/s), ` +
				`${kills} backends killed (killing went on ${killingAfter.toFixed(1)} s after the write), tail reconnected ${reconnects} times`,
		);
		expect(kills).toBeGreaterThanOrEqual(4);
		expect(reconnects).toBeGreaterThanOrEqual(2);
	}, 120_000);
});

