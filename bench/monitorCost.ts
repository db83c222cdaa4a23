// Benchmark 4: the monitor's own cost. The built monitor runs in tmux (CI
// removed from its environment) against a database with the profile's number
// of sessions: CPU as % of one core and RSS at idle (2 s interval), then RSS
// over a run with lifecycle events at a steady rate (slope by least squares).
import path from 'node:path';
import {createDatabase, dropDatabase, installSchema, withClient, type BenchServer} from './lib/server.js';
import {nodePid, sampleProc, tmuxAvailable, tmuxCapture, tmuxKill, tmuxPanePid, tmuxStart, waitForPane, type ProcSample} from './lib/tmux.js';
import {run, sleep} from './lib/util.js';

export type MonitorCostResult = {
	sessions: number;
	idle: {seconds: number; cpuPercent: number; rssMb: number};
	load: {seconds: number; rate: number; cpuPercent: number; rssStartMb: number; rssEndMb: number; rssMaxMb: number; rssMaxAtS?: number; slopeMbPerMin: number; projected30MinMb: number; secondHalfSlopeMbPerMin: number; secondHalfProjected30MinMb: number; warmAtS: number; warmRssMb: number; growthAfterWarmMb: number};
	screenAtEnd: string;
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
	options: {idleS: number; loadS: number; loadRate: number; sessions: number},
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
		return {sessions: options.sessions, idle, load, screenAtEnd, notes};
	} finally {
		await tmuxKill(name);
		await dropDatabase(server.adminUrl, db.name);
	}
}
