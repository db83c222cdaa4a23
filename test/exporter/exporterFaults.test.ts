// The exporter when databases go away: a server restart (counters go on, never
// backwards, nothing counted twice) on a server of its own, and one of two
// databases lost and back (through a TCP proxy the test closes and reopens)
// while the other is served all along and the exporter keeps running.
import net from 'node:net';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {applyMigrations} from '../../source/db/migrations.js';
import {startEmbeddedServer, type EmbeddedServer} from '../../source/embedded/embeddedServer.js';
import {buildBinary, exited, until} from '../commands/binary.js';
import {useTestDatabase} from '../helpers/database.js';
import {parsePrometheusText, scrape, startExporter, value, type Sample} from './exporterHelpers.js';

const other = useTestDatabase();
let server: EmbeddedServer | undefined;
let url: string;
let bin: string;
let remove: () => void;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
	server = await startEmbeddedServer({settings: {fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 30}});
	const u = new URL(server.url);
	u.pathname = '/faults';
	url = u.toString();
	const admin = new pg.Client({connectionString: server.url});
	await admin.connect();
	await admin.query('CREATE DATABASE faults');
	await admin.end();
	const client = new pg.Client({connectionString: url});
	await client.connect();
	await applyMigrations(client);
	await client.end();
}, 90_000);
afterAll(async () => {
	remove?.();
	await server?.stop();
});

async function query(target: string, text: string): Promise<pg.QueryResultRow[]> {
	const client = new pg.Client({connectionString: target});
	await client.connect();
	try {
		return (await client.query(text)).rows;
	} finally {
		await client.end();
	}
}

const events = (s: Sample[], database: string) => value(s, 'handoff_top_lifecycle_events_total', {database, event_type: 'created'});

/** A TCP proxy to `target` that can be closed (connections refused, open ones cut) and opened again on the same port. */
async function proxy(target: {host: string; port: number}) {
	const sockets = new Set<net.Socket>();
	let listener: net.Server | undefined;
	const open = async (port = 0) =>
		new Promise<number>(resolve => {
			listener = net.createServer(socket => {
				const upstream = net.connect(target.port, target.host);
				sockets.add(socket).add(upstream);
				for (const s of [socket, upstream]) s.on('error', () => {}).on('close', () => sockets.delete(s));
				socket.pipe(upstream).pipe(socket);
			});
			listener.listen(port, '127.0.0.1', () => resolve((listener!.address() as net.AddressInfo).port));
		});
	const port = await open();
	return {
		port,
		async close() {
			await new Promise<void>(resolve => {
				listener!.close(() => resolve());
				for (const socket of sockets) socket.destroy();
			});
		},
		async reopen() {
			await open(port);
		},
	};
}

describe('handoff-top exporter when databases go away', () => {
	it('keeps counting across a database restart: monotonic, each event once', async () => {
		await query(url, `INSERT INTO sessions (session_key, agent_from) SELECT 'r-' || i, 'x' FROM generate_series(1, 10) i`);
		const exporter = await startExporter(bin, ['--dsn', `faults=${url}`]);
		const seen: number[] = [];
		const read = async () => {
			const s = parsePrometheusText(await scrape(exporter.url));
			const n = events(s, 'faults');
			if (n !== undefined) seen.push(n);
			return s;
		};

		try {
			await until(async () => value(await read(), 'handoff_top_up', {database: 'faults'}) === 1, 15_000, 'up');
			expect(seen.at(-1)).toBe(10);
			await server!.restart();
			// down, then up again; scrapes go on meanwhile
			await until(async () => value(await read(), 'handoff_top_up', {database: 'faults'}) === 0, 15_000, 'seen down');
			await query(url, `INSERT INTO sessions (session_key, agent_from) SELECT 'r2-' || i, 'x' FROM generate_series(1, 5) i`);
			await until(async () => events(await read(), 'faults') === 15, 20_000, 'the new events counted');
			await read();
			const [row] = await query(url, `SELECT count(*)::int AS n FROM session_lifecycle WHERE event_type = 'created'`);
			expect(seen.at(-1)).toBe(row!['n']);
			for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
			expect(exporter.exitCode).toBeNull();
			expect(exporter.output.stderr).toMatch(/faults \(.*\): down: /);
		} finally {
			exporter.kill('SIGTERM');
			expect(await exited(exporter)).toBe(0);
		}
	});

	it('serves the other database while one is lost, and the lost one when it is back', async () => {
		const u = new URL(url);
		const tunnel = await proxy({host: u.hostname, port: Number(u.port)});
		u.port = String(tunnel.port);
		await other().query(`INSERT INTO sessions (session_key, agent_from) VALUES ('o-1', 'x')`);
		const exporter = await startExporter(bin, ['--dsn', `kept=${other().url}`, '--dsn', `lost=${u.toString()}`]);
		try {
			let s: Sample[] = [];
			await until(async () => value((s = parsePrometheusText(await scrape(exporter.url))), 'handoff_top_up', {database: 'lost'}) === 1, 15_000, 'both up');
			const before = events(s, 'lost')!;
			expect(before).toBe(15);

			await tunnel.close();
			await until(async () => value((s = parsePrometheusText(await scrape(exporter.url))), 'handoff_top_up', {database: 'lost'}) === 0, 15_000, 'lost down');
			// the lost one: up 0, its counters as they were, no readings; the other: served with current values
			expect(events(s, 'lost')).toBe(before);
			expect(value(s, 'handoff_top_sessions', {database: 'lost', state: 'active'})).toBeUndefined();
			expect(value(s, 'handoff_top_last_success_timestamp_seconds', {database: 'lost'})).toBeGreaterThan(0);
			await other().query(`INSERT INTO sessions (session_key, agent_from) VALUES ('o-2', 'x')`);
			const started = Date.now();
			await until(async () => value((s = parsePrometheusText(await scrape(exporter.url))), 'handoff_top_sessions', {database: 'kept', state: 'active'}) === 2, 10_000, 'kept served');
			expect(Date.now() - started).toBeLessThan(6000);
			expect(value(s, 'handoff_top_up', {database: 'kept'})).toBe(1);
			expect(value(s, 'handoff_top_up', {database: 'lost'})).toBe(0);

			// events written while it was unreachable are counted once it is back
			await query(url, `INSERT INTO sessions (session_key, agent_from) VALUES ('l-1', 'x'), ('l-2', 'x')`);
			await tunnel.reopen();
			await until(async () => value((s = parsePrometheusText(await scrape(exporter.url))), 'handoff_top_up', {database: 'lost'}) === 1, 20_000, 'lost back');
			expect(events(s, 'lost')).toBe(before + 2);
			expect(exporter.exitCode).toBeNull();
			expect(exporter.output.stderr).toMatch(/lost \(.*\): down: /);
			expect(exporter.output.stderr).toMatch(/lost \(.*\): up/);
		} finally {
			exporter.kill('SIGTERM');
			await exited(exporter);
			await tunnel.close().catch(() => {});
		}
	});
});
