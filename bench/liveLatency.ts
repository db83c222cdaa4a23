// Benchmark 3: commit -> delivered. A writer process changes session status at
// 100 / 1 000 / 5 000 events per second; readers record when each event
// arrives: handoff-top's event feed (the monitor's input) in its own process,
// and `handoff-top tail --json` when the build has it. Every event has a
// unique tag, so lost and duplicated events are counted exactly.
import {spawn} from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import {createDatabase, dropDatabase, installSchema, withClient, type BenchServer} from './lib/server.js';
import {startTail} from './lib/listener.js';
import {percentile, run, sleep} from './lib/util.js';

export type LatencyOptions = {rates: number[]; durationS: number};
export type LatencyRow = {reader: string; targetRate: number; achievedRate: number; events: number; delivered: number; lost: number; duplicated: number; p50Ms: number; p99Ms: number; maxMs: number};
export type LatencyResult = {rows: LatencyRow[]; notes: string[]};

type Reader = {name: string; arrivals: Map<string, number[]>; stop(): Promise<void>};

async function startProbe(outdir: string, url: string): Promise<Reader> {
	const child = spawn(process.execPath, [path.join(outdir, 'feedProbe.js'), url], {stdio: ['ignore', 'pipe', 'pipe']});
	const arrivals = new Map<string, number[]>();
	readline.createInterface({input: child.stdout!}).on('line', line => {
		const {tag, at} = JSON.parse(line) as {tag: string; at: number};
		const list = arrivals.get(tag);
		if (list) list.push(at);
		else arrivals.set(tag, [at]);
	});
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('feed probe did not become live')), 15_000);
		child.stderr!.on('data', d => {
			if (String(d).includes('ready')) {
				clearTimeout(timer);
				resolve();
			}
		});
		child.on('exit', code => reject(new Error(`feed probe exited ${code}`)));
	});
	return {
		name: 'event feed (monitor input)',
		arrivals,
		async stop() {
			child.kill('SIGTERM');
			await sleep(200);
			child.kill('SIGKILL');
		},
	};
}

async function startTailReader(root: string, url: string): Promise<Reader | undefined> {
	const arrivals = new Map<string, number[]>();
	const tail = await startTail(root, url, ({at, line}) => {
		try {
			const event = JSON.parse(line) as {event_type?: string; event_data?: {new_status?: string}};
			if (event.event_type !== 'status_changed') return;
			const tag = event.event_data?.new_status;
			if (!tag) return;
			const list = arrivals.get(tag);
			if (list) list.push(at);
			else arrivals.set(tag, [at]);
		} catch {
			// not an event line
		}
	});
	if (!tail) return undefined;
	return {name: 'handoff-top tail --json', arrivals, stop: tail.stop};
}

export async function runLiveLatency(
	server: BenchServer,
	context: {root: string; outdir: string},
	options: LatencyOptions,
	log: (line: string) => void,
): Promise<LatencyResult> {
	const db = await createDatabase(server.adminUrl, 'bench_latency');
	const notes: string[] = [];
	const readers: Reader[] = [];
	const sessions = 20_000;
	try {
		await installSchema(db.url, 'handoff-top', context.root);
		await withClient(db.url, async c => {
			await c.query(`INSERT INTO sessions (session_key, agent_from, status) SELECT 'bench-' || g, 'claude-code', 'active' FROM generate_series(1, ${sessions}) g`);
			await c.query('VACUUM ANALYZE');
		});
		const tail = await startTailReader(context.root, db.url);
		if (tail) readers.push(tail);
		else notes.push('handoff-top tail was not available in this build: only the event feed was measured');
		readers.push(await startProbe(context.outdir, db.url));

		const rows: LatencyRow[] = [];
		for (const rate of options.rates) {
			for (const r of readers) r.arrivals.clear();
			const started = Date.now();
			const w = await run(process.execPath, [path.join(context.outdir, 'writer.js'), db.url, String(rate), String(options.durationS), String(sessions)], {
				timeoutMs: (options.durationS + 120) * 1000,
			});
			if (w.code !== 0) throw new Error(`writer failed: ${w.stderr}`);
			const commits = w.stdout.trim().split('\n').filter(Boolean).map(line => JSON.parse(line) as {tag: string; at: number});
			const elapsedS = (Date.now() - started) / 1000;
			// wait for the readers to catch up (at most 15 s)
			for (let i = 0; i < 150; i++) {
				if (readers.every(r => commits.every(c => r.arrivals.has(c.tag)))) break;
				await sleep(100);
			}
			await sleep(500); // late duplicates would show now
			for (const r of readers) {
				const latencies: number[] = [];
				let lost = 0;
				let duplicated = 0;
				for (const c of commits) {
					const at = r.arrivals.get(c.tag);
					if (!at) {
						lost++;
						continue;
					}
					if (at.length > 1) duplicated += at.length - 1;
					latencies.push(Math.max(0, at[0]! - c.at));
				}
				const row: LatencyRow = {
					reader: r.name,
					targetRate: rate,
					achievedRate: commits.length / Math.min(elapsedS, options.durationS),
					events: commits.length,
					delivered: commits.length - lost,
					lost,
					duplicated,
					p50Ms: percentile(latencies, 50),
					p99Ms: percentile(latencies, 99),
					maxMs: Math.max(...latencies),
				};
				rows.push(row);
				log(`  ${rate}/s ${r.name}: ${row.events} events, p50 ${row.p50Ms.toFixed(0)} ms, p99 ${row.p99Ms.toFixed(0)} ms, lost ${lost}, dup ${duplicated}`);
			}
		}

		return {rows, notes};
	} finally {
		for (const r of readers) await r.stop().catch(() => {});
		await dropDatabase(server.adminUrl, db.name);
	}
}
