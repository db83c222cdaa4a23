// The benchmark driver behind `npm run bench` (bench/run.mjs bundles and runs it).
//
//   npm run bench                      quick profile (a few minutes), writes BENCHMARKS.md
//   npm run bench -- --full            full scale (10 M performance_logs ...)
//   npm run bench -- --smoke           the quick profile's smallest size (CI smoke; report to a temp file)
//   npm run bench -- --dsn postgres://user:pw@host:port/db   an external server (databases are created on it)
//   npm run bench -- --only write,dashboard,latency,monitor,startup,retention,exporter
//   npm run bench -- --out path.md
//   npm run bench -- --only monitor --side-only   only the side-by-side run against pg_activity and tail
//   npm run bench -- --rerender       write the last run's report again (same numbers, current appendix)
import {readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {openServer} from './lib/server.js';
import {findPgbench} from './lib/util.js';
import {profiles, type ProfileName} from './profiles.js';
import {runWriteCost, type WorkloadName, type WriteResult} from './writeCost.js';
import {runDashboard, type DashboardResult} from './dashboard.js';
import {runLiveLatency, type LatencyResult} from './liveLatency.js';
import {runMonitorCost, type MonitorCostResult} from './monitorCost.js';
import {runStartup, type StartupResult} from './startup.js';
import {runRetention, type RetentionResult} from './retention.js';
import {runExporterCost, type ExporterCostResult} from './exporterCost.js';
import {currentCheckout, writeReport, machineInfo, type Report} from './report.js';

const sections = ['write', 'dashboard', 'latency', 'monitor', 'startup', 'retention', 'exporter'] as const;
type Section = (typeof sections)[number];

type Args = {profile: ProfileName; dsn?: string; only: Set<Section>; out: string; rerender: boolean; soakS?: number; side: {only?: boolean; windowS?: number; screens?: string[]; profileDir?: string; nodeOptions?: string}; write: Partial<{clients: number[]; durationS: number; rounds: number; workloads: WorkloadName[]; previous: boolean; diagnose: boolean}>};

function parseArgs(argv: string[], root: string): Args {
	let profile: ProfileName = 'quick';
	let dsn: string | undefined;
	let only = new Set<Section>(sections);
	let out: string | undefined;
	const write: Args['write'] = {};
	let rerender = false;
	let soakS: number | undefined;
	const side: Args['side'] = {};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i]!;
		const value = () => {
			const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
			if (v === undefined) throw new Error(`${a} needs a value`);
			return v;
		};
		if (a === '--full') profile = 'full';
		else if (a === '--quick') profile = 'quick';
		else if (a === '--smoke') profile = 'smoke';
		else if (a.startsWith('--dsn')) dsn = value();
		else if (a.startsWith('--out')) out = value();
		else if (a.startsWith('--clients')) write.clients = value().split(',').map(Number);
		else if (a.startsWith('--duration')) write.durationS = Number(value());
		else if (a.startsWith('--rounds')) write.rounds = Number(value());
		else if (a.startsWith('--workloads')) write.workloads = value().split(',') as WorkloadName[];
		else if (a === '--no-previous') write.previous = false;
		else if (a === '--previous') write.previous = true;
		else if (a === '--diagnose') write.diagnose = true;
		else if (a === '--no-diagnose') write.diagnose = false;
		else if (a === '--rerender') rerender = true;
		else if (a.startsWith('--soak')) soakS = Number(value());
		else if (a === '--side-only') side.only = true;
		else if (a.startsWith('--side-window')) side.windowS = Number(value());
		else if (a.startsWith('--side-screens')) side.screens = value().split(',');
		else if (a.startsWith('--side-profile')) side.profileDir = path.resolve(value());
		else if (a.startsWith('--side-node-options')) side.nodeOptions = value();
		else if (a.startsWith('--only')) {
			const names = value().split(',').map(s => s.trim()) as Section[];
			for (const n of names) if (!sections.includes(n)) throw new Error(`unknown section '${n}' (${sections.join(', ')})`);
			only = new Set(names);
		} else if (a === '--help' || a === '-h') {
			process.stdout.write('npm run bench -- [--full | --smoke] [--dsn URL] [--only write,dashboard,latency,monitor,startup,retention,exporter] [--out FILE] [--rerender] [--soak S] [--side-only] [--side-window S] [--side-screens events,sessions] [--side-profile DIR] [--side-node-options "--flag ..."]\n  write section overrides: [--clients 1,16] [--duration S] [--rounds N] [--workloads status,mix,server] [--previous | --no-previous] [--diagnose | --no-diagnose]\n  npm run bench -- instructions [--n N] [--pgbin DIR] [--out FILE] [--before VERSION]   the write cost counted in instructions (valgrind)\n');
			process.exit(0);
		} else throw new Error(`unknown flag '${a}'`);
	}

	out ??= profile === 'smoke' ? path.join(os.tmpdir(), 'handoff-top-bench-smoke.md') : path.join(root, 'BENCHMARKS.md');
	return {profile, dsn, only, out, write, rerender, soakS, side};
}

export async function main(argv: string[], context: {root: string; outdir: string}): Promise<number> {
	const started = Date.now();
	const log = (line: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
	let args: Args;
	try {
		args = parseArgs(argv, context.root);
	} catch (error) {
		process.stderr.write(`bench: ${(error as Error).message}\n`);
		return 2;
	}

	// one saved run per report file: a separate run (--out bench/results/...) must not replace BENCHMARKS.md's
	const saved = path.join(context.outdir, `last-report-${path.basename(args.out, '.md')}.json`);
	if (args.rerender) {
		// the last run's results, written again (e.g. after bench/results/full-dashboard.md changed)
		const last = JSON.parse(readFileSync(saved, 'utf8')) as Report;
		last.startedAt = new Date(last.startedAt);
		if (last.finishedAt) last.finishedAt = new Date(last.finishedAt);
		writeReport(args.out, last, context.root);
		log(`report of the run of ${last.startedAt.toISOString()} written to ${args.out}`);
		return 0;
	}

	const profile = profiles[args.profile];
	const server = await openServer(args.dsn, log);
	// Interrupted (Ctrl-C, kill, a closed terminal): stop the embedded server and remove its data directory first
	// (a full-scale run leaves 16 GB behind otherwise).
	for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
		process.once(signal, () => {
			log(`${signal}: stopping the server`);
			void server.stop().finally(() => process.exit(code));
		});
	}
	const report: Report = {
		profile: args.profile,
		argv,
		startedAt: new Date(),
		checkout: currentCheckout(context.root),
		machine: machineInfo(),
		server: {version: server.version, settings: server.settings, embedded: server.embedded},
		errors: [],
	};
	const attempt = async <T>(section: Section, fn: () => Promise<T>): Promise<T | undefined> => {
		if (!args.only.has(section)) return undefined;
		log(`== ${section}`);
		try {
			return await fn();
		} catch (error) {
			const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
			log(`${section} failed: ${message}`);
			report.errors.push({section, message: message.split('\n').slice(0, 3).join(' ')});
			return undefined;
		}
	};

	try {
		report.write = await attempt<WriteResult>('write', async () => {
			const pgbench = await findPgbench();
			if (!pgbench) throw new Error('pgbench not found (PATH or /usr/lib/postgresql/*/bin)');
			return runWriteCost(server, context.root, {...profile.write, ...args.write, pgbench}, log);
		});
		report.dashboard = await attempt<DashboardResult>('dashboard', () => runDashboard(server, context.root, profile.dashboard, log));
		// correctness, not speed: the rollups must agree with the raw rows, the feed must be lossless
		const a = report.dashboard?.accuracy;
		if (a && (!a.callsMatch || !(a.maxErrorVsNearestRankPercent <= 4.5))) {
			report.errors.push({section: 'dashboard', message: `rollups disagree with the raw rows: calls ${a.callsMatch ? 'match' : 'differ'}, p95 error ${a.maxErrorVsNearestRankPercent.toFixed(2)} % (bound 4.5 %)`});
		}
		report.latency = await attempt<LatencyResult>('latency', () => runLiveLatency(server, context, profile.latency, log));
		for (const row of report.latency?.rows ?? []) {
			if (row.lost > 0 || row.duplicated > 0) report.errors.push({section: 'latency', message: `${row.reader} at ${row.targetRate}/s: ${row.lost} lost, ${row.duplicated} duplicated`});
		}
		report.monitor = await attempt<MonitorCostResult>('monitor', () => runMonitorCost(server, context, {...profile.monitor, ...(args.soakS ? {loadS: args.soakS} : {}), ...(args.side.windowS ? {windowS: args.side.windowS} : {}), sideOnly: args.side.only === true, screens: args.side.screens, profileDir: args.side.profileDir, nodeOptions: args.side.nodeOptions}, log));
		report.startup = await attempt<StartupResult>('startup', () => runStartup(server, context, profile.startup, log));
		report.retention = await attempt<RetentionResult>('retention', () => runRetention(server, context.root, profile.retention, log));
		report.exporter = await attempt<ExporterCostResult>('exporter', () => runExporterCost(server, context.root, profile.exporter, log));
	} finally {
		await server.stop();
	}

	report.finishedAt = new Date();
	writeFileSync(saved, JSON.stringify(report));
	writeReport(args.out, report, context.root);
	log(`report written to ${args.out} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
	return report.errors.length > 0 ? 1 : 0;
}
