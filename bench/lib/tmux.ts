// A real terminal for the monitor: tmux, as the end-to-end tests use it.
import {readFileSync} from 'node:fs';
import {run, sleep} from './util.js';

/** A tmux server of the benchmark's own: the default server exits when its last
 * session ends, and a new session racing that exit fails ("server exited
 * unexpectedly"); other tmux users (the tests, a person) are left alone too. */
const socket = `handoff-top-bench-${process.pid}`;
const tmux = (args: string[], options: {timeoutMs: number}) => run('tmux', ['-L', socket, ...args], options);

export async function tmuxAvailable(): Promise<boolean> {
	try {
		return (await run('tmux', ['-V'], {timeoutMs: 5000})).code === 0;
	} catch {
		return false;
	}
}

export async function tmuxStart(name: string, command: string, size = {columns: 120, rows: 36}): Promise<void> {
	const r = await tmux(['new-session', '-d', '-x', String(size.columns), '-y', String(size.rows), '-s', name, command], {timeoutMs: 10_000});
	if (r.code !== 0) throw new Error(`tmux: ${r.stderr}`);
}

/** Every byte the pane's program writes to its terminal, appended to `file` (tmux pipe-pane -o). */
export async function tmuxPipeOutput(name: string, file: string): Promise<void> {
	const r = await tmux(['pipe-pane', '-o', '-t', name, `cat >> '${file.replaceAll("'", "'\\''")}'`], {timeoutMs: 5000});
	if (r.code !== 0) throw new Error(`tmux pipe-pane: ${r.stderr}`);
}

export async function tmuxKeys(name: string, keys: string): Promise<void> {
	await tmux(['send-keys', '-t', name, '-l', keys], {timeoutMs: 5000});
}

export async function tmuxCapture(name: string): Promise<string> {
	return (await tmux(['capture-pane', '-p', '-t', name], {timeoutMs: 5000})).stdout;
}

export async function tmuxKill(name: string): Promise<void> {
	await tmux(['kill-session', '-t', name], {timeoutMs: 5000}).catch(() => {});
}

export async function tmuxPanePid(name: string): Promise<number> {
	const r = await tmux(['display', '-p', '-t', name, '#{pane_pid}'], {timeoutMs: 5000});
	return Number(r.stdout.trim());
}

/** The node process of a pane: the pane's process, or its first node child. */
export function nodePid(panePid: number): number {
	const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
	if (comm(panePid) === 'node') return panePid;
	const children = readFileSync(`/proc/${panePid}/task/${panePid}/children`, 'utf8').trim().split(/\s+/).map(Number);
	for (const child of children) if (child && comm(child) === 'node') return child;
	return panePid;
}

/** The first process in the pane's tree (the pane's process, then its descendants, breadth first) whose name matches. */
export function findPid(panePid: number, name: RegExp): number | undefined {
	const queue = [panePid];
	while (queue.length > 0) {
		const pid = queue.shift()!;
		try {
			if (name.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) return pid;
			queue.push(...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
		} catch {
			// gone
		}
	}

	return undefined;
}

/** Polls the pane until test() holds; returns ms waited, or NaN on timeout. */
export async function waitForPane(name: string, test: (text: string) => boolean, timeoutMs: number, started = performance.now()): Promise<number> {
	while (performance.now() - started < timeoutMs) {
		const text = await tmuxCapture(name);
		if (test(text)) return performance.now() - started;
		await sleep(5);
	}

	return Number.NaN;
}

export type ProcSample = {at: number; cpuTicks: number; rssKb: number};

export function sampleProc(pid: number): ProcSample {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const cpuTicks = Number(fields[11]) + Number(fields[12]);
	const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return {at: performance.now(), cpuTicks, rssKb: rss ? Number(rss[1]) : Number.NaN};
}
