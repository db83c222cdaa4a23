// `handoff-top demo` in a real terminal (tmux, 120x36): live events appear
// within seconds, the performance screen (key 4) draws a chart, and q quits
// with exit 0 leaving no postgres process and no directory behind.
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildCli, type BuiltCli} from './builtCli.js';
import {isAlive, processesMentioning, waitFor} from './processes.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const socket = `handoff-top-demo-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'});
const screen = () => tmux('capture-pane', '-p', '-t', 'demo');

let cli: BuiltCli;
let work: string;
beforeAll(async () => {
	if (!hasTmux) return;
	cli = await buildCli();
	work = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-demo-tmux-'));
}, 60_000);
afterAll(() => {
	if (!hasTmux) return;
	spawnSync('tmux', ['-L', socket, 'kill-server']);
	cli?.remove();
	rmSync(work, {recursive: true, force: true});
});

describe('handoff-top demo in a terminal', () => {
	it.runIf(hasTmux)('shows live events within seconds, a chart on the performance screen, and quits cleanly', {timeout: 120_000}, async () => {
		const stderr = path.join(work, 'stderr');
		const exit = path.join(work, 'exit');
		// CI=true makes Ink print only the last frame: the child must not see it.
		const command = `env -u CI ${process.execPath} ${cli.bin} demo --rate 40 2>${stderr}; echo $? > ${exit}; sleep 60`;
		tmux('new-session', '-d', '-s', 'demo', '-x', '120', '-y', '36', command);
		const server = await waitFor(
			'the demo to be ready',
			() => {
				const text = existsSync(stderr) ? readFileSync(stderr, 'utf8') : '';
				const match = /embedded PostgreSQL \(pid (\d+)\) in (\S+)[\s\S]*demo ready in/.exec(text);
				return match ? {pid: Number(match[1]), dataDir: match[2]!} : undefined;
			},
			60_000,
		);
		const readyAt = Date.now();
		const events = await waitFor(
			'live events on screen',
			() => {
				const rows = screen()
					.split('\n')
					.filter(line => /\d\d:\d\d:\d\d .*sim-\w+-\w+/.test(line));
				return rows.length >= 3 ? rows : undefined;
			},
			20_000,
		);
		console.info(`demo in tmux: ${events.length} live events on screen ${((Date.now() - readyAt) / 1000).toFixed(1)} s after ready`);
		expect(events.some(line => line.includes('created'))).toBe(true);

		tmux('send-keys', '-t', 'demo', '4');
		const performance = await waitFor(
			'a chart on the performance screen',
			() => {
				const text = screen();
				const chartRows = text.split('\n').filter(line => /[┤┼]/.test(line));
				// the curve, not only the axes: until the series loads the chart says 'loading…'
				return /update_context/.test(text) && chartRows.length >= 5 && /[╭╮╯╰─]/.test(text) ? text : undefined;
			},
			20_000,
		);
		expect(performance).toMatch(/p95/);
		expect(performance).not.toMatch(/loading…|cannot load/);

		tmux('send-keys', '-t', 'demo', 'q');
		const code = await waitFor('the demo to exit', () => (existsSync(exit) ? readFileSync(exit, 'utf8').trim() : undefined), 30_000);
		expect(code).toBe('0');
		expect(readFileSync(stderr, 'utf8')).toMatch(/demo stopped; the embedded PostgreSQL and its temporary directory are gone/);
		await waitFor('the server and its directory to be gone', () => !isAlive(server.pid) && !existsSync(server.dataDir), 10_000);
		await waitFor('no process to refer to the directory', () => processesMentioning(server.dataDir).length === 0, 5000);
		// The terminal is back from the alternate screen: the monitor's frame is gone.
		expect(screen()).not.toMatch(/1 Events\s+2 Sessions/);
		tmux('kill-session', '-t', 'demo');
	});

	it.runIf(hasTmux)('leaves nothing behind when its terminal goes away while the monitor is open (SIGHUP)', {timeout: 120_000}, async () => {
		const stderr = path.join(work, 'stderr-hup');
		tmux('new-session', '-d', '-s', 'hup', '-x', '100', '-y', '30', `env -u CI ${process.execPath} ${cli.bin} demo 2>${stderr}`);
		const server = await waitFor(
			'the demo to be ready',
			() => {
				const text = existsSync(stderr) ? readFileSync(stderr, 'utf8') : '';
				const match = /embedded PostgreSQL \(pid (\d+)\) in (\S+)[\s\S]*demo ready in/.exec(text);
				return match ? {pid: Number(match[1]), dataDir: match[2]!} : undefined;
			},
			60_000,
		);
		await waitFor('the monitor', () => /1 Events/.test(tmux('capture-pane', '-p', '-t', 'hup')), 20_000);
		tmux('kill-session', '-t', 'hup');
		await waitFor('the server and its directory to be gone', () => !isAlive(server.pid) && !existsSync(server.dataDir), 20_000);
		await waitFor('no process to refer to the directory', () => processesMentioning(server.dataDir).length === 0, 5000);
	});
});
