// The built monitor in a real terminal (tmux) against a real database: live
// events from another connection, every screen, recovery after its backends
// are killed, and a clean quit (alternate screen left, exit 0).
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import pg from 'pg';
import {applyMigrations} from '../../source/db/migrations.js';
import {startEmbeddedServer, type EmbeddedServer} from '../../source/embedded/embeddedServer.js';
import {buildCli, type BuiltCli} from '../demo/builtCli.js';
import {useTestDatabase} from '../helpers/database.js';
import {insertSession} from '../helpers/fixtures.js';

const database = useTestDatabase();
const session = `ht-e2e-${process.pid}-${Date.now()}`;
const restartSession = `${session}-restart`;
const signalSession = `${session}-signal`;
let server: EmbeddedServer | undefined;
let cli: BuiltCli | undefined;
let dir: string;

const tmuxSocket = `handoff-top-e2e-${process.pid}`;
function tmux(...args: string[]): string {
	// a server of this file's own: the default one exits with its last session, racing the next new-session
	return execFileSync('tmux', ['-L', tmuxSocket, ...args], {encoding: 'utf8'});
}

function capture(name = session): string {
	return tmux('capture-pane', '-p', '-t', name);
}

async function waitFor(predicate: (screen: string) => boolean, what: string, timeoutMs = 10_000, name = session): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const screen = capture(name);
		if (predicate(screen)) return screen;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
		await new Promise(resolve => setTimeout(resolve, 100));
	}
}

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

beforeAll(async () => {
	cli = await buildCli();
	dir = mkdtempSync(path.join(tmpdir(), 'handoff-top-e2e-'));
}, 120_000);

afterAll(async () => {
	for (const name of [session, restartSession, signalSession]) {
		try {
			tmux('kill-session', '-t', name);
		} catch {
			// already gone
		}
	}

	try {
		tmux('kill-server');
	} catch {
		// no sessions left: the server is gone already
	}

	await server?.stop();

	cli?.remove();
	if (dir) rmSync(dir, {recursive: true, force: true});
});

describe('the monitor in a real terminal', () => {
	it('answers bad flags and an unreachable server at once, before drawing anything', () => {
		const run = (...args: string[]) => spawnSync(process.execPath, [cli!.bin, ...args], {encoding: 'utf8', env: {...process.env, CI: ''}});
		const badInterval = run('--interval', '0.2');
		expect(badInterval.status).toBe(2);
		expect(badInterval.stderr).toContain('--interval must be at least 0.5 seconds');
		const badDsn = run('monitor', '--dsn', 'mysql://nope');
		expect(badDsn.status).toBe(2);
		expect(badDsn.stderr).toContain('scheme must be postgres://');
		expect(badDsn.stdout).toBe('');
		const refused = run('--dsn', 'postgres://nobody@127.0.0.1:1/nowhere');
		expect(refused.status).toBe(3);
		expect(refused.stderr).toContain('cannot connect to 127.0.0.1:1/nowhere: connection refused');
	});

	it('shows live events, opens every screen, recovers from killed backends, and quits cleanly', async () => {
		const db = database();
		const exitFile = path.join(dir, 'exit');
		// CI=true makes Ink print only the last frame: the child must not see it.
		const command = `env -u CI ${shellQuote(process.execPath)} ${shellQuote(cli!.bin)} --dsn ${shellQuote(db.url)}; echo EXIT=$? > ${shellQuote(exitFile)}; sleep 60`;
		tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '36', command);
		await waitFor(s => s.includes('Live events') && s.includes('● live'), 'the live events screen');
		expect(tmux('display-message', '-p', '-t', session, '#{alternate_on}').trim()).toBe('1');

		await insertSession(db.pool, {sessionKey: 'e2e-first-event', agentFrom: 'claude', agentTo: 'gemini'});
		let screen = await waitFor(s => s.includes('e2e-first-event'), 'the event committed by another connection');
		expect(screen).toMatch(/\+ created\s+e2e-first-event\s+claude→gemini/);
		// The frame never reaches the terminal's last row.
		expect(screen.split('\n')[35]?.trim() ?? '').toBe('');

		const screens: Array<[string, string]> = [
			['2', 'Sessions · sort'],
			['3', 'Dormant ·'],
			['4', 'Performance · last 24h'],
			['5', 'Metrics · latest'],
			['6', 'Schema ·'],
			['1', 'Live events'],
		];
		for (const [key, title] of screens) {
			tmux('send-keys', '-t', session, key);
			await waitFor(s => s.includes(title), `screen ${key} (${title})`);
		}

		// Kill the monitor's backends: it says so, reconnects and catches up without losing the event.
		await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'handoff-top-%'`);
		await insertSession(db.pool, {sessionKey: 'e2e-after-kill'});
		screen = await waitFor(s => s.includes('e2e-after-kill') && s.includes('● live'), 'the event written while reconnecting', 20_000);
		expect(screen.match(/e2e-first-event/g)).toHaveLength(1);

		tmux('send-keys', '-t', session, 'q');
		const deadline = Date.now() + 10_000;
		while (!existsSync(exitFile) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100));
		expect(readFileSync(exitFile, 'utf8').trim()).toBe('EXIT=0');
		expect(tmux('display-message', '-p', '-t', session, '#{alternate_on}').trim()).toBe('0');
		expect(capture()).not.toContain('Live events');
	}, 90_000);

	it('survives its database server stopping and starting again: shows the outage, keeps the data, recovers', async () => {
		server = await startEmbeddedServer({settings: {fsync: 'off', synchronous_commit: 'off'}});
		const admin = new pg.Client({connectionString: server.url});
		await admin.connect();
		await applyMigrations(admin);
		const command = `env -u CI ${shellQuote(process.execPath)} ${shellQuote(cli!.bin)} --dsn ${shellQuote(server.url)}; sleep 60`;
		tmux('new-session', '-d', '-s', restartSession, '-x', '120', '-y', '36', command);
		await waitFor(s => s.includes('● live'), 'the live monitor', 10_000, restartSession);
		await insertSession(admin, {sessionKey: 'before-restart'});
		await waitFor(s => s.includes('before-restart'), 'the first event', 10_000, restartSession);
		await admin.end();

		let sawOutage = false;
		let watch = true;
		const watching = (async () => {
			while (!sawOutage && watch) {
				if (/disconnected|connecting/.test(capture(restartSession))) sawOutage = true;
				await new Promise(resolve => setTimeout(resolve, 25));
			}
		})();
		await server.restart();
		const writer = new pg.Client({connectionString: server.url});
		await writer.connect();
		await insertSession(writer, {sessionKey: 'after-restart'});
		await writer.end();
		const screen = await waitFor(s => s.includes('after-restart') && s.includes('● live'), 'recovery after the restart', 30_000, restartSession);
		watch = false;
		await watching;
		expect(sawOutage).toBe(true);
		expect(screen).toContain('before-restart');
	}, 90_000);

	it('leaves the alternate screen and exits 143 on SIGTERM', async () => {
		const exitFile = path.join(dir, 'exit-signal');
		const command = `env -u CI ${shellQuote(process.execPath)} ${shellQuote(cli!.bin)} --dsn ${shellQuote(database().url)}; echo EXIT=$? > ${shellQuote(exitFile)}; sleep 60`;
		tmux('new-session', '-d', '-s', signalSession, '-x', '100', '-y', '30', command);
		await waitFor(s => s.includes('● live'), 'the monitor', 10_000, signalSession);
		const shell = tmux('display-message', '-p', '-t', signalSession, '#{pane_pid}').trim();
		const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/);
		expect(children).toHaveLength(1);
		process.kill(Number(children[0]), 'SIGTERM');
		const deadline = Date.now() + 10_000;
		while (!existsSync(exitFile) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100));
		expect(readFileSync(exitFile, 'utf8').trim()).toBe('EXIT=143');
		expect(tmux('display-message', '-p', '-t', signalSession, '#{alternate_on}').trim()).toBe('0');
	}, 30_000);
});
