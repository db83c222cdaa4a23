// The built `handoff-top demo`, spawned as a user would (stdout not a
// terminal, so no UI): it starts, simulates, and leaves no postgres process
// and no temporary directory behind - after --duration, SIGTERM, SIGHUP and
// SIGKILL. --keep keeps the data and prints commands that really restart it.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, rmSync} from 'node:fs';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildCli, type BuiltCli} from './builtCli.js';
import {isAlive, processesMentioning, waitFor} from './processes.js';

let cli: BuiltCli;
beforeAll(async () => {
	cli = await buildCli();
}, 60_000);
afterAll(() => cli?.remove());

type Demo = {child: ChildProcess; stderr: () => string; exit: Promise<{code: number | null; signal: NodeJS.Signals | null}>};

async function startDemo(args: string[]): Promise<Demo> {
	const release = await slot();
	const env = {...process.env};
	delete env['CI'];
	const child = spawn(process.execPath, [cli.bin, 'demo', ...args], {env, stdio: ['ignore', 'pipe', 'pipe']});
	let stderr = '';
	child.stderr!.on('data', chunk => {
		stderr += String(chunk);
	});
	child.stdout!.resume();
	const closed = new Promise<void>(resolve => child.once('close', () => resolve()));
	const exit = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => {
		child.on('exit', (code, signal) => {
			release();
			// 'exit' can come before the last of stderr is read: wait for 'close' (at most 2 s, for a pipe a child kept open)
			const timer = setTimeout(() => resolve({code, signal}), 2000);
			void closed.then(() => {
				clearTimeout(timer);
				resolve({code, signal});
			});
		});
	});
	return {child, stderr: () => stderr, exit};
}

/** The server's pid and directory, from the demo's start-up lines, once it is ready. */
async function ready(demo: Demo): Promise<{pid: number; dataDir: string; dsn: string; seconds: number}> {
	return waitFor(
		'the demo to be ready',
		() => {
			const text = demo.stderr();
			const server = /embedded PostgreSQL \(pid (\d+)\) in (\S+)/.exec(text);
			const done = /demo ready in ([\d.]+) s: (\S+)/.exec(text);
			return server && done ? {pid: Number(server[1]), dataDir: server[2]!, dsn: done[2]!, seconds: Number(done[1])} : undefined;
		},
		60_000,
	);
}

async function expectNothingLeft(server: {pid: number; dataDir: string}, timeoutMs = 10_000): Promise<void> {
	await waitFor('the server and its directory to be gone', () => !isAlive(server.pid) && !existsSync(server.dataDir), timeoutMs);
	await waitFor('no process to refer to the directory', () => processesMentioning(server.dataDir).length === 0, 2000);
}

// At most three demos at once: each starts a PostgreSQL, and other suites share the cores.
let running = 0;
const waiting: Array<() => void> = [];
async function slot(): Promise<() => void> {
	if (running >= 3) await new Promise<void>(resolve => waiting.push(resolve));
	running++;
	return () => {
		running--;
		waiting.shift()?.();
	};
}

describe.concurrent('handoff-top demo', {timeout: 120_000}, () => {
	it('starts, simulates and stops by itself after --duration, leaving nothing behind', async () => {
		const demo = await startDemo(['--duration', '2', '--rate', '100']);
		const server = await ready(demo);
		console.info(`demo start-up: ${server.seconds} s`);
		expect(isAlive(server.pid)).toBe(true);
		expect(existsSync(server.dataDir)).toBe(true);
		const client = new pg.Client({connectionString: server.dsn});
		await client.connect();
		await new Promise(resolve => setTimeout(resolve, 1000));
		const [{sessions}] = (await client.query('SELECT count(*)::int AS sessions FROM sessions')).rows;
		const [{logs}] = (await client.query("SELECT count(*)::int AS logs FROM performance_logs WHERE created_at < now() - interval '30 minutes'")).rows;
		await client.end();
		expect(sessions).toBeGreaterThan(0);
		expect(logs, 'backfilled latency history').toBeGreaterThan(100);
		expect(await demo.exit).toEqual({code: 0, signal: null});
		expect(demo.stderr()).toMatch(/simulator: \d+ operations/);
		await expectNothingLeft(server);
	});

	for (const [signal, code] of [
		['SIGTERM', 143],
		['SIGHUP', 129],
		['SIGINT', 130],
	] as const) {
		it(`stops cleanly on ${signal} (exit ${code})`, async () => {
			const demo = await startDemo([]);
			const server = await ready(demo);
			demo.child.kill(signal);
			expect(await demo.exit).toEqual({code, signal: null});
			await expectNothingLeft(server);
		});
	}

	it('leaves nothing behind when killed with SIGKILL (the watchdog cleans up)', async () => {
		const demo = await startDemo([]);
		const server = await ready(demo);
		demo.child.kill('SIGKILL');
		expect((await demo.exit).signal).toBe('SIGKILL');
		await expectNothingLeft(server, 20_000);
	});

	it('exits 1 and removes the directory when its PostgreSQL dies under it', async () => {
		const demo = await startDemo(['--rate', '50']);
		const server = await ready(demo);
		process.kill(server.pid, 'SIGKILL');
		expect((await demo.exit).code).toBe(1);
		expect(demo.stderr()).toContain('the embedded PostgreSQL had exited on its own');
		await expectNothingLeft(server);
	});

	it('--keep stops the server, keeps the data and prints commands that bring it back', async () => {
		const demo = await startDemo(['--keep', '--duration', '1.5', '--rate', '50']);
		const server = await ready(demo);
		expect((await demo.exit).code).toBe(0);
		try {
			expect(isAlive(server.pid)).toBe(false);
			expect(existsSync(server.dataDir)).toBe(true);
			const text = demo.stderr();
			const start = /start it again: +(.+)/.exec(text)?.[1];
			const stop = /stop it: +(.+)/.exec(text)?.[1];
			expect(text).toContain(`then connect:    npx handoff-top --dsn ${server.dsn}`);
			expect(start).toBeDefined();
			const started = spawnSync('sh', ['-c', start!], {encoding: 'utf8'});
			expect(started.status, started.stderr).toBe(0);
			try {
				const client = new pg.Client({connectionString: server.dsn});
				await client.connect();
				const {rows} = await client.query('SELECT count(*)::int AS n FROM sessions');
				await client.end();
				expect(rows[0].n).toBeGreaterThan(0);
			} finally {
				const stopped = spawnSync('sh', ['-c', stop!], {encoding: 'utf8'});
				expect(stopped.status, stopped.stderr).toBe(0);
			}
		} finally {
			rmSync(server.dataDir, {recursive: true, force: true});
		}

		expect(processesMentioning(server.dataDir)).toEqual([]);
	});

	it('refuses a bad --rate or --duration before starting anything', () => {
		const result = spawnSync(process.execPath, [cli.bin, 'demo', '--rate', '0'], {encoding: 'utf8'});
		expect(result.status).toBe(2);
		expect(result.stderr).toContain('--rate must be more than 0');
		const other = spawnSync(process.execPath, [cli.bin, 'demo', '--duration', 'soon'], {encoding: 'utf8'});
		expect(other.status).toBe(2);
		expect(other.stderr).toContain('--duration must be a number of seconds');
	});
});
