// A private PostgreSQL 15 primary and its streaming replica (pg_basebackup -R),
// for the standby, crash and promotion tests. The machine's PostgreSQL 15
// client and server tools (/usr/lib/postgresql/15/bin, as .ci/run installs
// them); as root the servers run as the `postgres` user. Each cluster lives in
// a 0700 directory under os.tmpdir(), on a random loopback port, with a random
// scram password; everything is removed on stop.
import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export const pg15Bin = process.env['HANDOFF_TEST_PG15_BIN'] ?? '/usr/lib/postgresql/15/bin';
const tools = ['postgres', 'initdb', 'pg_ctl', 'pg_basebackup'];

/** Why the replica tests cannot run here, or undefined. */
export function replicaUnavailable(): string | undefined {
	const missing = tools.filter(tool => !existsSync(path.join(pg15Bin, tool)));
	return missing.length > 0 ? `PostgreSQL 15 tools missing in ${pg15Bin}: ${missing.join(', ')} (apt-get install postgresql-15)` : undefined;
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
	return Number((await run('id', [flag, 'postgres'])).stdout.trim());
}

async function account(): Promise<{uid: number; gid: number} | undefined> {
	if (process.getuid?.() !== 0) return undefined;
	return {uid: await idOf('-u'), gid: await idOf('-g')};
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const {port} = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

export type Cluster = {
	readonly port: number;
	readonly dataDir: string;
	url(database?: string): string;
	/** pg_ctl stop -m <mode> (immediate: a crash). */
	stop(mode?: 'fast' | 'immediate'): Promise<void>;
	start(): Promise<void>;
	/** pg_ctl promote, waiting until the server accepts writes. */
	promote(): Promise<void>;
	/** Stops the server and removes its directory. */
	destroy(): Promise<void>;
	query<Row extends pg.QueryResultRow = any>(text: string, values?: unknown[], database?: string): Promise<Row[]>;
};

function makeCluster(directory: string, port: number, password: string, owner: {uid: number; gid: number} | undefined, settings: Record<string, string> = {}): Cluster {
	const dataDir = path.join(directory, 'data');
	const log = path.join(directory, 'log');
	const extra = Object.entries(settings).map(([name, value]) => ` -c ${name}=${value}`).join('');
	const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c max_connections=60 -c fsync=off -c full_page_writes=off${extra}`;
	const pgCtl = async (args: string[]) => run(path.join(pg15Bin, 'pg_ctl'), args, {...owner, timeout: 60_000});
	const url = (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
	let running = false;
	const cluster: Cluster = {
		port,
		dataDir,
		url,
		async stop(mode = 'fast') {
			if (!running) return;
			await pgCtl(['-D', dataDir, '-m', mode, '-w', 'stop']);
			running = false;
		},
		async start() {
			await pgCtl(['-D', dataDir, '-l', log, '-w', '-t', '60', '-o', options, 'start']);
			running = true;
		},
		async promote() {
			await pgCtl(['-D', dataDir, '-w', '-t', '60', 'promote']);
		},
		async destroy() {
			await cluster.stop('immediate').catch(() => {});
			rmSync(directory, {recursive: true, force: true});
		},
		async query(text, values, database) {
			const client = new pg.Client({connectionString: url(database)});
			await client.connect();
			try {
				return (await client.query(text, values)).rows;
			} finally {
				await client.end();
			}
		},
	};
	return cluster;
}

async function privateDirectory(owner: {uid: number; gid: number} | undefined): Promise<string> {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-replica-'));
	chmodSync(directory, 0o700);
	if (owner) chownSync(directory, owner.uid, owner.gid);
	return directory;
}

/** A new primary (initdb), started; `settings` are server settings (-c name=value: no spaces or quotes). */
export async function startPrimary(settings: Record<string, string> = {}): Promise<Cluster & {password: string}> {
	const owner = await account();
	const directory = await privateDirectory(owner);
	const password = randomBytes(18).toString('hex');
	const passwordFile = path.join(directory, 'pw');
	writeFileSync(passwordFile, `${password}\n`, {mode: 0o600});
	if (owner) chownSync(passwordFile, owner.uid, owner.gid);
	await run(
		path.join(pg15Bin, 'initdb'),
		['-D', path.join(directory, 'data'), '-U', 'postgres', `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-sync', '--lc-messages=C'],
		{...owner, timeout: 60_000},
	);
	rmSync(passwordFile);
	const cluster = makeCluster(directory, await freePort(), password, owner, settings);
	await cluster.start();
	return Object.assign(cluster, {password});
}

/** A hot standby of the primary (pg_basebackup -R, streaming), started. */
export async function startStandby(primary: Cluster & {password: string}): Promise<Cluster> {
	const owner = await account();
	const directory = await privateDirectory(owner);
	const dataDir = path.join(directory, 'data');
	await run(
		path.join(pg15Bin, 'pg_basebackup'),
		['-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '--no-sync'],
		{...owner, env: {...process.env, PGPASSWORD: primary.password}, timeout: 120_000},
	);
	const cluster = makeCluster(directory, await freePort(), primary.password, owner);
	await cluster.start();
	return cluster;
}

/** Resolves once the condition holds; polls every 20 ms. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
	const started = Date.now();
	while (!(await condition())) {
		if (Date.now() - started > timeoutMs) throw new Error(`${what} not met in ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}
