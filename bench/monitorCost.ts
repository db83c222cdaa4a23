// Benchmark 4: the monitor's own cost. The built monitor runs in tmux (CI
// removed from its environment) against a database with the profile's number
// of sessions: CPU as % of one core and RSS at idle (2 s interval), then RSS
// over a run with lifecycle events at a steady rate (slope by least squares).
// Then side by side at 80×24 (runSideBySide): the monitor on each of its
// screens, pg_activity and `handoff-top tail`, all three running at once on
// the same database and the same feed of lifecycle events.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {screenNames} from '../source/monitor/monitorOptions.js';
import {createDatabase, dropDatabase, installSchema, withClient, type BenchServer} from './lib/server.js';
import {findPid, nodePid, sampleProc, tmuxAvailable, tmuxCapture, tmuxKeys, tmuxKill, tmuxPanePid, tmuxPipeOutput, tmuxStart, waitForPane, type ProcSample} from './lib/tmux.js';
import {median, run, sleep} from './lib/util.js';

export type MonitorCostResult = {
	sessions: number;
	/** Absent with --side-only. */
	idle?: {seconds: number; cpuPercent: number; rssMb: number};
	load?: {seconds: number; rate: number; cpuPercent: number; rssStartMb: number; rssEndMb: number; rssMaxMb: number; rssMaxAtS?: number; slopeMbPerMin: number; projected30MinMb: number; secondHalfSlopeMbPerMin: number; secondHalfProjected30MinMb: number; warmAtS: number; warmRssMb: number; growthAfterWarmMb: number};
	screenAtEnd?: string;
	sideBySide?: SideBySideResult;
	notes: string[];
};

/** One process over one measuring window. */
export type ProcessCost = {cpuPercent: number; rssMb: number; bytesPerS: number};

export type SideBySideResult = {
	columns: number;
	rows: number;
	rate: number;
	settleS: number;
	windowS: number;
	pgActivity: string;
	/** Spawn until the pane shows a full frame (data from the database drawn), medians of `runs` interleaved runs. */
	firstFrame: {runs: number; monitorMs: number; monitorTabsMs?: number; pgActivityMs: number};
	/** The same window for all three: the monitor on `screen`, pg_activity and tail beside it. */
	screens: Array<{screen: string; monitor: ProcessCost; pgActivity: ProcessCost; tail: ProcessCost}>;
	notes: string[];
};

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const clkTck = 100;

function cpuPercent(a: ProcSample, b: ProcSample): number {
	return ((b.cpuTicks - a.cpuTicks) / clkTck / ((b.at - a.at) / 1000)) * 100;
}

function slope(samples: ProcSample[]): number {
	const n = samples.length;
	const xs = samples.map(s => s.at / 60_000);
	const ys = samples.map(s => s.rssKb / 1024);
	const mx = xs.reduce((a, b) => a + b, 0) / n;
	const my = ys.reduce((a, b) => a + b, 0) / n;
	let num = 0;
	let den = 0;
	for (let i = 0; i < n; i++) {
		num += (xs[i]! - mx) * (ys[i]! - my);
		den += (xs[i]! - mx) ** 2;
	}
	return den === 0 ? 0 : num / den;
}

export async function runMonitorCost(
	server: BenchServer,
	context: {root: string; outdir: string},
	options: {idleS: number; loadS: number; loadRate: number; sessions: number; settleS: number; windowS: number; frameRuns: number; sideOnly?: boolean; screens?: string[] | undefined; profileDir?: string | undefined; nodeOptions?: string | undefined},
	log: (line: string) => void,
): Promise<MonitorCostResult> {
	if (!(await tmuxAvailable())) throw new Error('tmux not found');
	const db = await createDatabase(server.adminUrl, 'bench_monitor');
	const name = `ht-bench-cost-${process.pid}`;
	const notes: string[] = [];
	try {
		await installSchema(db.url, 'handoff-top', context.root);
		await withClient(db.url, async c => {
			await c.query(`INSERT INTO sessions (session_key, agent_from, status) SELECT 'bench-' || g, 'claude-code', 'active' FROM generate_series(1, ${options.sessions}) g`);
			await c.query('VACUUM ANALYZE');
		});
		if (options.sideOnly) {
			const sideBySide = await runSideBySide(db.url, context, options, log);
			return {sessions: options.sessions, ...(sideBySide ? {sideBySide} : {}), notes};
		}

		const bin = path.join(context.root, 'bin', 'handoff-top.js');
		await tmuxStart(name, `env -u CI ${quote(process.execPath)} --expose-gc ${quote(bin)} --dsn ${quote(db.url)} --interval 2`);
		const shown = await waitForPane(name, text => /handoff-top/i.test(text) && !/Usage/.test(text), 20_000);
		if (Number.isNaN(shown)) throw new Error(`the monitor did not draw a frame: ${(await tmuxCapture(name)).trim().slice(0, 300)}`);
		const pid = nodePid(await tmuxPanePid(name));
		await sleep(5000); // settle: first queries, JIT warm-up

		const idleStart = sampleProc(pid);
		await sleep(options.idleS * 1000);
		const idleEnd = sampleProc(pid);
		const idle = {seconds: options.idleS, cpuPercent: cpuPercent(idleStart, idleEnd), rssMb: idleEnd.rssKb / 1024};
		log(`monitor: idle CPU ${idle.cpuPercent.toFixed(2)} % of one core, RSS ${idle.rssMb.toFixed(0)} MB`);

		const samples: ProcSample[] = [sampleProc(pid)];
		const writer = run(process.execPath, [path.join(context.outdir, 'writer.js'), db.url, String(options.loadRate), String(options.loadS), String(options.sessions)], {
			timeoutMs: (options.loadS + 120) * 1000,
		});
		const loadEnd = performance.now() + options.loadS * 1000;
		while (performance.now() < loadEnd) {
			await sleep(Math.min(5000, Math.max(100, loadEnd - performance.now())));
			samples.push(sampleProc(pid));
		}
		await writer;
		const first = samples[0]!;
		const last = samples[samples.length - 1]!;
		const slopeMbPerMin = slope(samples);
		// the first half includes warm-up (V8 heap sizing, caches filling): the second half shows the trend
		const secondHalf = samples.slice(Math.floor(samples.length / 2));
		const secondHalfSlopeMbPerMin = secondHalf.length >= 3 ? slope(secondHalf) : Number.NaN;
		const load = {
			seconds: options.loadS,
			rate: options.loadRate,
			cpuPercent: cpuPercent(first, last),
			rssStartMb: first.rssKb / 1024,
			rssEndMb: last.rssKb / 1024,
			rssMaxMb: Math.max(...samples.map(s => s.rssKb)) / 1024,
			// when the peak came (warm-up or a trend)
			rssMaxAtS: (samples.reduce((a, b) => (b.rssKb > a.rssKb ? b : a)).at - first.at) / 1000,
			slopeMbPerMin,
			projected30MinMb: slopeMbPerMin * 30,
			secondHalfSlopeMbPerMin,
			secondHalfProjected30MinMb: secondHalfSlopeMbPerMin * 30,
			// measured growth (no projection): from the end of warm-up - the first tenth of the run, at least a minute - to the end
			...(() => {
				const warmAt = first.at + Math.max(60_000, (last.at - first.at) / 10);
				const warm = samples.find(s => s.at >= warmAt) ?? last;
				return {warmAtS: (warm.at - first.at) / 1000, warmRssMb: warm.rssKb / 1024, growthAfterWarmMb: (last.rssKb - warm.rssKb) / 1024};
			})(),
		};
		log(`monitor: at ${options.loadRate} events/s CPU ${load.cpuPercent.toFixed(1)} %, RSS ${load.rssStartMb.toFixed(0)} -> ${load.rssEndMb.toFixed(0)} MB, slope ${slopeMbPerMin.toFixed(3)} MB/min (second half ${secondHalfSlopeMbPerMin.toFixed(3)})`);
		if (options.loadS < 1800) notes.push(`RSS growth over ${options.loadS} s, projected to 30 min by its least-squares slope`);
		const screenAtEnd = (await tmuxCapture(name)).split('\n').slice(0, 6).join('\n');
		await tmuxKill(name);
		const sideBySide = await runSideBySide(db.url, context, options, log);
		return {sessions: options.sessions, idle, load, screenAtEnd, ...(sideBySide ? {sideBySide} : {}), notes};
	} finally {
		await tmuxKill(name);
		await dropDatabase(server.adminUrl, db.name);
	}
}

/** pg_activity's version, installing the Debian package when it is missing (as root, where apt-get exists). */
function pgActivityVersion(log: (line: string) => void): string | undefined {
	const version = () => {
		const r = spawnSync('pg_activity', ['--version'], {encoding: 'utf8', timeout: 20_000});
		return r.status === 0 ? r.stdout.trim() : undefined;
	};
	const found = version();
	if (found) return found;
	log('monitor: pg_activity missing, installing the Debian package pg-activity');
	const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'};
	spawnSync('apt-get', ['install', '-y', 'pg-activity'], {stdio: 'ignore', env, timeout: 300_000});
	return version();
}

/** libpq's key=value form of a URL (pg_activity takes it as its connection string). */
function libpqString(url: string): string {
	const u = new URL(url);
	const value = (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
	const parts = [`host=${value(decodeURIComponent(u.hostname))}`, `port=${u.port || '5432'}`, `dbname=${value(decodeURIComponent(u.pathname.slice(1)))}`];
	if (u.username) parts.push(`user=${value(decodeURIComponent(u.username))}`);
	if (u.password) parts.push(`password=${value(decodeURIComponent(u.password))}`);
	return parts.join(' ');
}

const sideBySideSize = {columns: 80, rows: 24};
/** A full frame of the monitor at 80 columns: the tabs and the rates line with the database's counts. */
const monitorFull = (text: string) => /1 Events/.test(text) && /events\/min \(\d+m\)/.test(text);
/** A full frame of pg_activity: its header with the server's version and the process table's header. */
const pgActivityFull = (text: string) => /PostgreSQL \d/.test(text) && /\bPID\b/.test(text);

/**
 * The monitor, pg_activity and `handoff-top tail` at 80×24 side by side on one database, with lifecycle events at
 * `loadRate` per second: first full frame (interleaved runs), then for each of the monitor's screens one window in
 * which all three are measured at once - CPU % of one core (utime + stime from /proc), RSS, and the bytes each
 * writes to its terminal (tmux pipe-pane into a file; the file's growth over the window).
 */
export async function runSideBySide(
	url: string,
	context: {root: string; outdir: string},
	options: {sessions: number; loadRate: number; settleS?: number; windowS?: number; frameRuns?: number; screens?: string[] | undefined; profileDir?: string | undefined; nodeOptions?: string | undefined},
	log: (line: string) => void,
): Promise<SideBySideResult | undefined> {
	const pgActivity = pgActivityVersion(log);
	if (!pgActivity) {
		log('monitor: pg_activity not available (apt-get install -y pg-activity failed): no side-by-side run');
		return undefined;
	}

	const settleS = options.settleS ?? 4;
	const windowS = options.windowS ?? 15;
	const frameRuns = options.frameRuns ?? 3;
	const bin = path.join(context.root, 'bin', 'handoff-top.js');
	const node = quote(process.execPath);
	const commands = {
		monitor: `env -u CI ${node}${options.nodeOptions ? ` ${options.nodeOptions}` : ''}${options.profileDir ? ` --cpu-prof --cpu-prof-dir ${quote(options.profileDir)}` : ''} ${quote(bin)} --dsn ${quote(url)} --interval 2`,
		pgActivity: `env -u CI pg_activity ${quote(libpqString(url))}`,
		tail: `env -u CI ${node} ${quote(bin)} tail --dsn ${quote(url)}`,
	};
	const tag = `ht-bench-side-${process.pid}`;
	const names = {monitor: `${tag}-monitor`, pgActivity: `${tag}-pga`, tail: `${tag}-tail`};
	const kill = async () => {
		for (const n of Object.values(names)) await tmuxKill(n);
	};
	const dir = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-bench-out-'));
	const notes: string[] = [];
	try {
		// First full frame: spawn in a new 80×24 pane until the frame is there, the two interleaved
		const monitorFrames: number[] = [];
		const monitorTabs: number[] = [];
		const pgaFrames: number[] = [];
		for (let i = 0; i < frameRuns; i++) {
			for (const [which, full, into] of [['monitor', monitorFull, monitorFrames], ['pgActivity', pgActivityFull, pgaFrames]] as const) {
				const t = performance.now();
				await tmuxStart(names[which], commands[which], sideBySideSize);
				// the monitor draws its tabs at once and the database's counts when they come
				if (which === 'monitor') monitorTabs.push(await waitForPane(names[which], text => /1 Events/.test(text), 20_000, t));
				const ms = await waitForPane(names[which], full, 20_000, t);
				if (Number.isNaN(ms)) throw new Error(`${which} drew no full frame at 80×24 within 20 s: ${(await tmuxCapture(names[which])).trim().slice(0, 400)}`);
				into.push(ms);
				await tmuxKill(names[which]);
			}
		}

		const firstFrame = {runs: frameRuns, monitorMs: median(monitorFrames), monitorTabsMs: median(monitorTabs), pgActivityMs: median(pgaFrames)};
		log(`monitor: first full frame at 80×24 ${firstFrame.monitorMs.toFixed(0)} ms (tabs at ${firstFrame.monitorTabsMs.toFixed(0)} ms), pg_activity ${firstFrame.pgActivityMs.toFixed(0)} ms`);

		// The three side by side for the whole run
		const pids: Record<keyof typeof names, number> = {monitor: 0, pgActivity: 0, tail: 0};
		const files: Record<keyof typeof names, string> = {monitor: path.join(dir, 'monitor.out'), pgActivity: path.join(dir, 'pga.out'), tail: path.join(dir, 'tail.out')};
		for (const which of Object.keys(names) as Array<keyof typeof names>) {
			await tmuxStart(names[which], commands[which], sideBySideSize);
			await tmuxPipeOutput(names[which], files[which]);
			const panePid = await tmuxPanePid(names[which]);
			await sleep(300);
			const pid = findPid(panePid, which === 'pgActivity' ? /^(pg_activity|python)/ : /^(node|handoff-top)$/);
			if (pid === undefined) throw new Error(`no ${which} process in its pane (pane process ${panePid}): ${(await tmuxCapture(names[which])).trim().slice(0, 400)}`);
			pids[which] = pid;
		}

		if (Number.isNaN(await waitForPane(names.monitor, monitorFull, 20_000))) throw new Error('the monitor drew no full frame');
		if (Number.isNaN(await waitForPane(names.pgActivity, pgActivityFull, 20_000))) throw new Error('pg_activity drew no full frame');
		const warmS = 5;
		const measured = screenNames.map((screen, index) => ({screen, key: String(index + 1)})).filter(s => !options.screens || options.screens.includes(s.screen));
		const totalS = warmS + measured.length * (settleS + windowS) + 5;
		const writer = run(process.execPath, [path.join(context.outdir, 'writer.js'), url, String(options.loadRate), String(totalS), String(options.sessions), 'side'], {
			timeoutMs: (totalS + 120) * 1000,
		});
		await sleep(warmS * 1000);
		const size = (file: string) => {
			try {
				return statSync(file).size;
			} catch {
				return 0;
			}
		};
		const screens: SideBySideResult['screens'] = [];
		for (const {screen, key} of measured) {
			await tmuxKeys(names.monitor, key);
			await sleep(settleS * 1000);
			const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, {proc: sampleProc(pid), bytes: size(files[k as keyof typeof names])}]));
			await sleep(windowS * 1000);
			const cost = (which: keyof typeof names): ProcessCost => {
				const end = sampleProc(pids[which]);
				const a = start[which]!;
				const seconds = (end.at - a.proc.at) / 1000;
				return {cpuPercent: cpuPercent(a.proc, end), rssMb: end.rssKb / 1024, bytesPerS: (size(files[which]) - a.bytes) / seconds};
			};
			const row = {screen, monitor: cost('monitor'), pgActivity: cost('pgActivity'), tail: cost('tail')};
			screens.push(row);
			log(
				`monitor: ${screen}: CPU ${row.monitor.cpuPercent.toFixed(2)} % (pg_activity ${row.pgActivity.cpuPercent.toFixed(2)} %, tail ${row.tail.cpuPercent.toFixed(2)} %), ` +
					`RSS ${row.monitor.rssMb.toFixed(0)} MB (${row.pgActivity.rssMb.toFixed(0)}, ${row.tail.rssMb.toFixed(0)}), ` +
					`output ${(row.monitor.bytesPerS / 1000).toFixed(2)} kB/s (${(row.pgActivity.bytesPerS / 1000).toFixed(2)}, ${(row.tail.bytesPerS / 1000).toFixed(2)})`,
			);
		}

		const written = await writer;
		const events = written.stdout.split('\n').filter(Boolean).length;
		notes.push(`the writer committed ${events} status changes in ${totalS} s (${(events / totalS).toFixed(0)} events/s); the monitor at --interval 2, pg_activity at its default 2 s refresh`);
		if (options.profileDir) {
			// the profile is written when the monitor exits: q, then wait for the pane to go
			await tmuxKeys(names.monitor, 'q');
			await waitForPane(names.monitor, text => text.trim() === '' || /\$ *$/.test(text.trim()), 10_000);
			await sleep(2000);
			notes.push(`CPU profile of the monitor (node --cpu-prof) in ${options.profileDir}`);
		}

		return {...sideBySideSize, rate: options.loadRate, settleS, windowS, pgActivity, firstFrame, screens, notes};
	} finally {
		await kill();
		rmSync(dir, {recursive: true, force: true});
	}
}
