// Recovery on a server of its own: a restart (stop and start) and a silent
// network drop (a proxy that stops forwarding without closing anything).
import net from 'node:net';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {applyMigrations} from '../../source/db/migrations.js';
import {startEmbeddedServer, type EmbeddedServer} from '../../source/embedded/embeddedServer.js';
import {createEventFeed, type FeedStatus, type LifecycleEvent} from '../../source/feed/eventFeed.js';
import {createMonitorDatabase, type MonitorDatabaseStatus} from '../../source/monitor/monitorDatabase.js';

let server: EmbeddedServer | undefined;
let url: string;

beforeAll(async () => {
	server = await startEmbeddedServer({settings: {fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 30}});
	const admin = new pg.Client({connectionString: server.url});
	await admin.connect();
	await admin.query('CREATE DATABASE recovery');
	await admin.end();
	const u = new URL(server.url);
	u.pathname = '/recovery';
	url = u.toString();
	const client = new pg.Client({connectionString: url});
	await client.connect();
	await applyMigrations(client);
	await client.end();
}, 60_000);
afterAll(async () => server?.stop());

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
	const started = Date.now();
	while (!(await condition())) {
		if (Date.now() - started > timeoutMs) throw new Error(`${what} not met in ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

async function write(keys: string[], target = url): Promise<void> {
	const client = new pg.Client({connectionString: target});
	await client.connect();
	for (const key of keys) await client.query(`INSERT INTO sessions (session_key, agent_from) VALUES ($1, 'r')`, [key]);
	await client.end();
}

describe('recovery', () => {
	it('feed and monitor database come back after the server stops and starts, losing and repeating nothing', async () => {
		const events: LifecycleEvent[] = [];
		const statuses: FeedStatus[] = [];
		const feed = createEventFeed({
			connect: async () => connect({dsn: url, purpose: 'monitor', component: '-feed'}),
			onEvents: batch => events.push(...batch),
			onStatus: s => statuses.push(s),
			pollIntervalMs: 300,
			backoff: {initialMs: 100, maxMs: 500},
		});
		const dbStatuses: MonitorDatabaseStatus[] = [];
		const monitor = createMonitorDatabase({
			connect: async () => connect({dsn: url, purpose: 'monitor', component: '-monitor'}),
			backoff: {initialMs: 100, maxMs: 500},
		});
		monitor.onStatus(s => dbStatuses.push(s));
		const count = async () => monitor.run(async c => Number((await c.query('SELECT count(*) AS n FROM sessions')).rows[0].n));
		try {
			await feed.start();
			await write(Array.from({length: 20}, (_, i) => `before-${i}`));
			expect(await count()).toBe(20);
			await until(() => events.length === 20, 10_000, 'events before restart');

			await server!.restart();
			await write(Array.from({length: 20}, (_, i) => `after-${i}`));
			await until(() => events.length >= 40, 20_000, 'events after restart');
			await new Promise(resolve => setTimeout(resolve, 500));
			expect(events.map(e => e.sessionKey)).toEqual([
				...Array.from({length: 20}, (_, i) => `before-${i}`),
				...Array.from({length: 20}, (_, i) => `after-${i}`),
			]);
			expect(statuses.some(s => s.state === 'disconnected')).toBe(true);
			expect(statuses.at(-1)?.state).toBe('live');

			// The monitor's refresh connection: the first run after the restart fails, later ones succeed.
			let answer: number | undefined;
			await until(async () => {
				answer = await count().catch(() => undefined);
				return answer !== undefined;
			}, 20_000, 'monitor database reconnects');
			expect(answer).toBe(40);
			expect(dbStatuses.some(s => s.state === 'disconnected' && s.lastError)).toBe(true);
			expect(monitor.status()).toMatchObject({state: 'connected'});
			expect(monitor.status().lastSuccessAt).toBeInstanceOf(Date);
		} finally {
			await feed.stop();
			await monitor.close();
		}
	}, 60_000);

	it('detects a silently dead connection (network drop) and catches up', async () => {
		// A TCP proxy; 'drop' stops forwarding on the open connections without closing them.
		const target = new URL(url);
		const sockets: Array<{client: net.Socket; upstream: net.Socket}> = [];
		const dropped: typeof sockets = [];
		const proxy = net.createServer(client => {
			const upstream = net.connect(Number(target.port), target.hostname);
			client.pipe(upstream).pipe(client);
			client.on('error', () => {});
			upstream.on('error', () => {});
			sockets.push({client, upstream});
		});
		await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve));
		const port = (proxy.address() as net.AddressInfo).port;
		const viaProxy = new URL(url);
		viaProxy.port = String(port);

		const events: LifecycleEvent[] = [];
		const statuses: FeedStatus[] = [];
		const feed = createEventFeed({
			connect: async () => connect({dsn: viaProxy.toString(), purpose: 'monitor', component: '-feed'}),
			onEvents: batch => events.push(...batch),
			onStatus: s => statuses.push(s),
			pollIntervalMs: 200,
			readTimeoutMs: 1000,
			backoff: {initialMs: 100, maxMs: 500},
		});
		try {
			await feed.start();
			await write(['drop-1']);
			await until(() => events.some(e => e.sessionKey === 'drop-1'), 10_000, 'first event');
			dropped.push(...sockets.splice(0));
			for (const {client, upstream} of dropped) {
				client.unpipe(upstream);
				upstream.unpipe(client);
				client.pause();
				upstream.pause();
			}

			await write(['drop-2', 'drop-3']);
			await until(() => events.some(e => e.sessionKey === 'drop-3'), 15_000, 'events after the drop');
			expect(events.map(e => e.sessionKey).filter(k => k?.startsWith('drop-'))).toEqual(['drop-1', 'drop-2', 'drop-3']);
			const disconnected = statuses.find(s => s.state === 'disconnected');
			expect(disconnected?.lastError).toMatch(/no answer/);
		} finally {
			await feed.stop();
			for (const {client, upstream} of [...sockets, ...dropped]) {
				client.destroy();
				upstream.destroy();
			}

			await new Promise(resolve => proxy.close(resolve));
		}
	}, 60_000);
});
