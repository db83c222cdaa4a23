// handoff-top through PgBouncer (issue 17, point 8), in session and in
// transaction pooling, with the usual `ignore_startup_parameters =
// extra_float_digits`: every command works; monitor connections are read-only
// with their timeouts (applied with SET, not the startup 'options' PgBouncer
// refuses); in transaction pooling the feed finds that LISTEN does not work,
// says it is polling, and still delivers every event.
import {execFileSync, spawnSync} from 'node:child_process';
import {chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {isBehindPooler} from '../../source/db/sessionSettings.js';
import {checkListen} from '../../source/feed/listenCheck.js';
import {useTestDatabase} from '../helpers/database.js';
import {buildBinary, exited, runBinary, start, until} from '../commands/binary.js';

const db = useTestDatabase();
let bin: string;
let remove: () => void;

type Bouncer = {mode: 'session' | 'transaction'; url: string; dir: string; pid?: number};
const bouncers: Bouncer[] = [];
let unavailable: string | undefined;

function hasPgbouncer(): boolean {
	return spawnSync('sh', ['-c', 'command -v pgbouncer || test -x /usr/sbin/pgbouncer'], {stdio: 'ignore'}).status === 0;
}

function pgbouncerPath(): string {
	const found = spawnSync('sh', ['-c', 'command -v pgbouncer'], {encoding: 'utf8'}).stdout.trim();
	return found || '/usr/sbin/pgbouncer';
}

/** pgbouncer, installed from Debian's package when missing (as root); a reason when it cannot be. */
function ensurePgbouncer(): string | undefined {
	if (hasPgbouncer()) return undefined;
	if (process.getuid?.() !== 0) return 'pgbouncer is not installed and this is not root (apt-get install pgbouncer)';
	const install = spawnSync('sh', ['-c', 'apt-get install -y -qq pgbouncer || (apt-get update -qq && apt-get install -y -qq pgbouncer)'], {
		env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'},
		stdio: 'ignore',
		timeout: 180_000,
	});
	return install.status === 0 && hasPgbouncer() ? undefined : 'pgbouncer could not be installed (apt-get install -y pgbouncer failed)';
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer().listen(0, '127.0.0.1', () => {
			const {port} = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
		server.on('error', reject);
	});
}

async function startBouncer(mode: Bouncer['mode'], serverUrl: URL): Promise<Bouncer> {
	const dir = mkdtempSync(path.join(os.tmpdir(), `handoff-top-pgbouncer-${mode}-`));
	const port = await freePort();
	const user = decodeURIComponent(serverUrl.username);
	const password = decodeURIComponent(serverUrl.password);
	const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
	writeFileSync(path.join(dir, 'users.txt'), `${quote(user)} ${quote(password)}\n`, {mode: 0o600});
	writeFileSync(
		path.join(dir, 'pgbouncer.ini'),
		[
			'[databases]',
			`* = host=${serverUrl.hostname} port=${serverUrl.port || '5432'}`,
			'[pgbouncer]',
			'listen_addr = 127.0.0.1',
			`listen_port = ${port}`,
			'unix_socket_dir =',
			'auth_type = trust',
			`auth_file = ${path.join(dir, 'users.txt')}`,
			`pool_mode = ${mode}`,
			'ignore_startup_parameters = extra_float_digits',
			'max_client_conn = 200',
			'default_pool_size = 20',
			`logfile = ${path.join(dir, 'pgbouncer.log')}`,
			`pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
			'',
		].join('\n'),
		{mode: 0o600},
	);
	const asRoot = process.getuid?.() === 0;
	if (asRoot) {
		// pgbouncer refuses to run as root: as postgres, who must be able to read its files
		const uid = Number(execFileSync('id', ['-u', 'postgres'], {encoding: 'utf8'}).trim());
		const gid = Number(execFileSync('id', ['-g', 'postgres'], {encoding: 'utf8'}).trim());
		for (const file of ['', 'users.txt', 'pgbouncer.ini']) chownSync(path.join(dir, file), uid, gid);
		chmodSync(dir, 0o700);
	}

	const command = [pgbouncerPath(), '-d', path.join(dir, 'pgbouncer.ini')];
	const started = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', ...command], {encoding: 'utf8'}) : spawnSync(command[0]!, command.slice(1), {encoding: 'utf8'});
	const bouncer: Bouncer = {mode, url: '', dir};
	bouncers.push(bouncer);
	if (started.status !== 0) throw new Error(`pgbouncer (${mode}) did not start: ${started.stderr || started.stdout}`);
	await until(
		async () =>
			new Promise<boolean>(resolve => {
				const socket = net.connect(port, '127.0.0.1', () => {
					socket.end();
					resolve(true);
				});
				socket.on('error', () => resolve(false));
			}),
		10_000,
		`pgbouncer (${mode}) listening`,
	);
	// the daemon may write its pid file after it listens
	await until(() => {
		try {
			bouncer.pid = Number(readFileSync(path.join(dir, 'pgbouncer.pid'), 'utf8').trim()) || undefined;
		} catch {
			// not yet
		}

		return bouncer.pid !== undefined;
	}, 10_000, `pgbouncer (${mode}) pid file`);

	bouncer.url = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(db().name)}`;
	return bouncer;
}

beforeAll(async () => {
	unavailable = ensurePgbouncer();
	if (unavailable === undefined) {
		try {
			const server = new URL(db().url);
			await startBouncer('session', server);
			await startBouncer('transaction', server);
		} catch (error) {
			unavailable = error instanceof Error ? error.message : String(error);
		}
	}

	if (unavailable) {
		console.warn(`pgbouncer tests skipped: ${unavailable}`);
		return;
	}

	({bin, remove} = await buildBinary());
}, 240_000);

afterAll(() => {
	for (const bouncer of bouncers) {
		if (!bouncer.pid) {
			try {
				bouncer.pid = Number(readFileSync(path.join(bouncer.dir, 'pgbouncer.pid'), 'utf8').trim()) || undefined;
			} catch {
				// never started
			}
		}

		if (bouncer.pid) {
			try {
				process.kill(bouncer.pid, 'SIGTERM');
			} catch {
				// gone already
			}
		}

		rmSync(bouncer.dir, {recursive: true, force: true});
	}

	remove?.();
});

function bouncer(mode: Bouncer['mode']): Bouncer {
	return bouncers.find(b => b.mode === mode)!;
}

async function withMonitor<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = await connect({dsn: url, purpose: 'monitor'});
	try {
		return await run(client);
	} finally {
		await client.end().catch(() => {});
	}
}

describe('straight to PostgreSQL', () => {
	it('a monitor connection has its settings for the session, is not taken for pooled, and LISTEN works', async () => {
		await withMonitor(db().url, async client => {
			expect(isBehindPooler(client)).toBe(false);
			const {rows} = await client.query(
				`SELECT current_setting('default_transaction_read_only') AS ro, current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt, current_setting('jit') AS jit`,
			);
			expect(rows[0]).toEqual({ro: 'on', st: '5s', lt: '1s', jit: 'off'});
			expect(await checkListen(client)).toEqual({ok: true});
			expect((await client.query('SELECT count(*)::int AS n FROM pg_listening_channels()')).rows[0].n).toBe(0);
		});
	});
});

describe.each(['session', 'transaction'] as const)('through PgBouncer in %s pooling', mode => {
	it('snapshot and validate work (no startup options for PgBouncer to refuse)', async ({skip}) => {
		if (unavailable) skip(unavailable);
		const snapshot = await runBinary(bin, ['snapshot', '--dsn', bouncer(mode).url]);
		expect(snapshot.stderr).toBe('');
		expect(snapshot.code).toBe(0);
		expect(snapshot.stdout).toContain('── Sessions');
		const validate = await runBinary(bin, ['validate', '--dsn', bouncer(mode).url]);
		expect(validate.code, validate.stderr + validate.stdout).toBe(0);
	});

	it('a monitor connection is read-only, with its timeouts', async ({skip}) => {
		if (unavailable) skip(unavailable);
		await withMonitor(bouncer(mode).url, async client => {
			expect(isBehindPooler(client)).toBe(true);
			// application_name stays a startup parameter: PgBouncer passes it on
			expect((await client.query(`SELECT current_setting('application_name') AS name`)).rows[0].name).toMatch(/^handoff-top\/\d/);
			for (let i = 0; i < 3; i++) {
				expect((await client.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only).toBe('on');
				expect((await client.query('SHOW lock_timeout')).rows[0].lock_timeout).toBe('1s');
				expect((await client.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('5s');
			}

			await expect(client.query(`INSERT INTO sessions (session_key, agent_from) VALUES ('bouncer-write-${mode}', 'x')`)).rejects.toMatchObject({code: '25006'});
			// a caller's own transaction is read-only too
			await client.query('BEGIN');
			await expect(client.query(`UPDATE sessions SET agent_from = 'y' WHERE false`)).rejects.toMatchObject({code: '25006'});
			await client.query('ROLLBACK');
		});
		expect(await db().query(`SELECT 1 FROM sessions WHERE session_key = $1`, [`bouncer-write-${mode}`])).toHaveLength(0);
	});

	it('the settings hold on whatever server connection the pooler gives the next statement', async ({skip}) => {
		if (unavailable) skip(unavailable);
		await withMonitor(bouncer(mode).url, async client => {
			const first = (await client.query<{pid: number}>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
			// Another client takes the server connection the monitor used last (in transaction pooling the
			// next idle one), and keeps it in an open transaction: the monitor's next statement runs elsewhere.
			const other = await connect({dsn: bouncer(mode).url, purpose: 'admin'});
			try {
				await other.query('BEGIN');
				const taken = (await other.query<{pid: number}>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
				// nothing of the monitor's stays on the server connection for the next client (the handoff server's own, say)
				expect((await other.query(`SELECT current_setting('transaction_read_only') AS ro`)).rows[0].ro).toBe('off');
				const {rows} = await client.query<{pid: number; read_only: string; lock_timeout: string}>(
					`SELECT pg_backend_pid() AS pid, current_setting('transaction_read_only') AS read_only, current_setting('lock_timeout') AS lock_timeout`,
				);
				if (mode === 'transaction') expect(taken).toBe(first);
				if (mode === 'transaction') expect(rows[0]!.pid).not.toBe(first);
				expect(rows[0]).toMatchObject({read_only: 'on', lock_timeout: '1s'});
				await expect(client.query(`DELETE FROM sessions WHERE false`)).rejects.toMatchObject({code: '25006'});
			} finally {
				await other.query('ROLLBACK').catch(() => {});
				await other.end();
			}
		});
	});

	it('a snapshot behind an ACCESS EXCLUSIVE lock fails within the lock timeout instead of hanging', async ({skip}) => {
		if (unavailable) skip(unavailable);
		const holder = await db().connect();
		try {
			await holder.query('BEGIN');
			await holder.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
			const started = Date.now();
			const snapshot = await runBinary(bin, ['snapshot', '--dsn', bouncer(mode).url]);
			const tookMs = Date.now() - started;
			expect(snapshot.code).not.toBe(0);
			expect(snapshot.stderr).toMatch(/lock timeout/);
			expect(tookMs).toBeLessThan(10_000); // lock_timeout is 1 s (without it: no timeout at all, it hangs)
		} finally {
			await holder.query('ROLLBACK').catch(() => {});
			await holder.end();
		}
	});

	it(`tail --json delivers events${mode === 'transaction' ? ', saying it polls as LISTEN does not work' : ' woken by LISTEN'}`, async ({skip}) => {
		if (unavailable) skip(unavailable);
		const tail = start(bin, ['tail', '--json', '--interval', '0.5', '--dsn', bouncer(mode).url]);
		try {
			await until(() => tail.output.stderr.includes('following'), 15_000, 'tail live');
			const key = `bouncer-tail-${mode}`;
			await db().query(`INSERT INTO sessions (session_key, agent_from, agent_to) VALUES ($1, 'alice', 'bob')`, [key]);
			await db().query(`UPDATE sessions SET status = 'completed' WHERE session_key = $1`, [key]);
			await until(() => tail.output.stdout.split('\n').filter(line => line.includes(key)).length >= 2, 10_000, 'two events');
			const events = tail.output.stdout
				.split('\n')
				.filter(line => line.includes(key))
				.map(line => JSON.parse(line) as Record<string, unknown>);
			expect(events.map(e => e['event_type'])).toEqual(['created', 'status_changed']);
			if (mode === 'transaction') {
				expect(tail.output.stderr).toMatch(/polling every 0\.5 s: LISTEN does not work through this connection/);
			} else {
				expect(tail.output.stderr).not.toMatch(/LISTEN does not work/);
			}
		} finally {
			tail.kill('SIGTERM');
			await exited(tail);
		}
	});
});
