// --help and --version of every command, with any other flag, print that
// command's usage (or the version) and exit 0 without connecting anywhere or
// starting anything: a listener standing in for the database counts connections.
import {createServer, type Server} from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildBinary, runBinary} from '../commands/binary.js';

const commands = ['monitor', 'schema', 'tail', 'snapshot', 'demo', 'simulate', 'setup', 'migrate', 'validate', 'sweep', 'exporter', 'partition'];

let bin: string;
let remove: (() => void) | undefined;
let server: Server;
let connections = 0;
let dsn: string;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
	server = createServer(socket => {
		connections++;
		socket.destroy();
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	if (!address || typeof address === 'string') throw new Error('no port');
	dsn = `postgres://nobody@127.0.0.1:${address.port}/nothing`;
}, 120_000);

afterAll(async () => {
	remove?.();
	await new Promise<void>(resolve => server.close(() => resolve()));
});

// the database the commands would reach without --dsn is the counting listener too
const env = () => ({DATABASE_URL: dsn, PGHOST: '127.0.0.1', PGPORT: dsn.split(':')[2]!.split('/')[0]!});

describe('--help and --version', () => {
	it.each(commands)('%s --help prints its own usage and exits 0, alone and after other flags, connecting nowhere', async command => {
		for (const args of [
			[command, '--help'],
			['--dsn', dsn, command, '--json', '--help'],
			[command, '--rate', 'abc', '--since', 'never', '--help'],
			[command, '--no-such-flag', '--help'],
		]) {
			const before = connections;
			const run = await runBinary(bin, args, env());
			expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
			expect(run.stdout).toContain(`$ handoff-top ${command === 'monitor' ? '[monitor]' : command}`);
			expect(run.stderr).toBe('');
			expect(connections - before, args.join(' ')).toBe(0);
		}
	});

	it.each(commands)('%s --version prints the version and exits 0, connecting nowhere', async command => {
		const before = connections;
		const run = await runBinary(bin, ['--dsn', dsn, command, '--version'], env());
		expect(run.code, run.stderr).toBe(0);
		expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
		expect(connections - before).toBe(0);
	});

	it('without a command, --help prints the overview of every command, with any flags', async () => {
		for (const args of [['--help'], ['--dsn', dsn, '--help'], ['--interval', 'abc', '--help']]) {
			const before = connections;
			const run = await runBinary(bin, args, env());
			expect(run.code).toBe(0);
			for (const command of commands) expect(run.stdout).toContain(`    ${command}`);
			expect(connections - before).toBe(0);
		}
	});

	it('flag errors are one handoff-top: line, exit 2, quoting what was typed (never NaN)', async () => {
		for (const [args, wanted] of [
			[['--interval', 'abc'], "handoff-top: --interval must be a number of seconds (got 'abc')"],
			[['tail', '--interval=abc'], "handoff-top: --interval must be a number of seconds (got 'abc')"],
			[['snapshot', '--limit', 'ten'], "handoff-top: --limit must be a number of rows (got 'ten')"],
			[['--bogus'], 'handoff-top: unknown flag --bogus (see handoff-top --help)'],
		] as const) {
			const before = connections;
			const run = await runBinary(bin, [...args], env());
			expect(run.code, args.join(' ')).toBe(2);
			expect(run.stderr.trim()).toBe(wanted);
			expect(connections - before).toBe(0);
		}
	});
});
