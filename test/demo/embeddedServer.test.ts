// The embedded PostgreSQL of the demo and of this test harness is a superuser
// on 127.0.0.1: it must not open to other local users. Each server has its
// own random password (no fixed one), no Unix socket, and its files sit in a
// 0700 directory; nothing with the password is ever left readable in /tmp.
import {readdirSync, readFileSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest';
import {startEmbeddedServer, type EmbeddedServer} from '../../source/embedded/embeddedServer.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

async function connect(url: string): Promise<string> {
	const client = new pg.Client({connectionString: url, connectionTimeoutMillis: 5000});
	try {
		await client.connect();
		await client.query('SELECT 1');
		return 'connected';
	} catch (error) {
		return (error as {code?: string}).code ?? String(error);
	} finally {
		await client.end().catch(() => {});
	}
}

function withPassword(url: string, user: string, password?: string): string {
	const parsed = new URL(url);
	parsed.username = user;
	parsed.password = password ?? '';
	return parsed.toString();
}

describe('the embedded server is closed to other local users', {timeout: 60_000}, () => {
	const tmpBefore = new Set(readdirSync(os.tmpdir()));
	let first: EmbeddedServer;
	let second: EmbeddedServer;
	let modeWhileRunning = 0;
	beforeAll(async () => {
		first = await startEmbeddedServer({onDirectory: directory => (modeWhileRunning = statSync(directory).mode & 0o777)});
		second = await startEmbeddedServer();
	}, 60_000);
	afterAll(async () => {
		await first?.stop();
		await second?.stop();
	});

	it('connects with its own password only: the old fixed one, none, and the other server\'s are refused', async () => {
		expect(await connect(first.url)).toBe('connected');
		expect(await connect(withPassword(first.url, 'postgres', 'handoff-top'))).toBe('28P01');
		expect(await connect(withPassword(first.url, 'postgres'))).toMatch(/^(28P01|.*password)/i);
		expect(await connect(withPassword(first.url, 'postgres', new URL(second.url).password))).toBe('28P01');
		expect(new URL(first.url).password).not.toBe(new URL(second.url).password);
		expect(new URL(first.url).password.length).toBeGreaterThanOrEqual(20);
	});

	it('has no Unix socket and keeps its files in a 0700 directory (owned by postgres when run as root)', async () => {
		const client = new pg.Client({connectionString: first.url});
		await client.connect();
		const {rows} = await client.query<{sockets: string; listen: string}>(
			"SELECT current_setting('unix_socket_directories') AS sockets, current_setting('listen_addresses') AS listen",
		);
		await client.end();
		expect(rows[0]).toEqual({sockets: '', listen: '127.0.0.1'});
		expect(modeWhileRunning).toBe(0o700);
		const stat = statSync(first.directory);
		expect(stat.mode & 0o777).toBe(0o700);
		if (isRoot) expect(stat.uid).not.toBe(0);
		expect(statSync(first.dataDir).mode & 0o077).toBe(0);
	});

	it('leaves no file holding its password in the temp folder', () => {
		const passwords = [first, second].map(server => new URL(server.url).password);
		for (const name of readdirSync(os.tmpdir())) {
			if (tmpBefore.has(name)) continue;
			const file = path.join(os.tmpdir(), name);
			let text = '';
			try {
				if (!statSync(file).isFile()) continue;
				text = readFileSync(file, 'utf8');
			} catch {
				continue; // gone meanwhile, or not ours
			}

			for (const password of passwords) expect(text, file).not.toContain(password);
		}

		expect(readdirSync(os.tmpdir()).filter(name => name.startsWith('pg-password-') && !tmpBefore.has(name))).toEqual([]);
	});

	it("the test harness's own server has a random password too", () => {
		if (process.env['HANDOFF_TEST_DATABASE_URL']) return; // an external server: its owner chose
		const password = new URL(inject('adminUrl')).password;
		expect(password).not.toBe('handoff-top');
		expect(password.length).toBeGreaterThanOrEqual(20);
	});
});
