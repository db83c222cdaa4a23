// Benchmark 6: what one scrape of handoff-top exporter costs the database
// against one refresh of a monitor screen, side by side in one run at the
// profile's number of sessions (the issue's 1 M in the full profile). Loads
// bench/workloads/dashboard_data.sql with the sessions at that number and the
// child tables at a tenth of a row per session or less (the sessions table is
// what the exporter's session gauges read), builds the rollups, then times, in
// interleaved rounds (the order rotates every round) on connections with the
// monitor's settings:
// * the exporter's read of one database (DatabaseCollector.collect(), the code a
//   scrape runs, storage read every time), after its first read;
// * the Sessions screen's refresh (sessionsPage: the top 20 and the capped count),
//   the Performance screen's (its table and its 1 h chart) and the Storage
//   screen's (storagePanel), through the monitor's own data layer;
// * the exact count of sessions by status the exporter made before
//   (sql/queries/exporter_sessions.sql), for what the sample saves.
// Between rounds a little traffic (status changes, calls) moves the counters'
// cursors. Also checks the sampled gauges against the exact counts.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {createDatabase, dropDatabase, installSchema, withClient, type BenchServer} from './lib/server.js';
import {median, rotate} from './lib/util.js';
import {connect} from '../source/db/connection.js';
import {sqlText} from '../source/db/sqlText.js';
import {DatabaseCollector} from '../source/exporter/databaseCollector.js';
import {createMonitorDatabase} from '../source/monitor/monitorDatabase.js';
import {createMonitorData} from '../source/monitor/monitorData.js';
import {sessionCounting, sessionsByStatus} from '../source/queries/exporter.js';

export type ExporterCostOptions = {sessions: number; rounds: number};

type Measure = 'scrape' | 'scrape that reads storage' | 'sessions screen' | 'performance screen (1 h)' | 'storage screen' | 'exact count by status (before)';
const measures: Measure[] = ['scrape', 'scrape that reads storage', 'sessions screen', 'performance screen (1 h)', 'storage screen', 'exact count by status (before)'];

export type ExporterCostResult = {
	sessions: number;
	rows: Record<string, number>;
	loadSeconds: number;
	rounds: number;
	sampledShare: number;
	counting: {exactUpTo: number; sampleRows: number};
	runsMs: Record<Measure, number[]>;
	medianMs: Record<Measure, number>;
	/** scrape / each refresh and scrape that reads storage / each refresh (medians). */
	ratios: Array<{against: Measure; ratio: number; withStorage: number}>;
	/** The gauges' values against the exact counts (same moment, no writes in between). */
	accuracy: Array<{series: string; exact: number; exporter: number; errorPercent: number}>;
};

export async function runExporterCost(server: BenchServer, root: string, options: ExporterCostOptions, log: (line: string) => void): Promise<ExporterCostResult> {
	const n = options.sessions;
	// the sessions at full size (what the session gauges read); the child tables small, for a load of minutes
	const sizes = {sessions: n, context: Math.round(n / 10), handoffs: Math.round(n / 100), perf: Math.round(n / 10), perf24: Math.round(n / 100), metrics: Math.round(n / 100)};
	const db = await createDatabase(server.adminUrl, 'bench_exporter');
	try {
		await installSchema(db.url, 'handoff-top', root);
		return await withClient(db.url, async admin => {
			log(`exporter: loading ${sizes.sessions} sessions, ${sizes.context} context rows, ${sizes.perf} performance_logs`);
			const loadStarted = performance.now();
			const template = readFileSync(path.join(root, 'bench', 'workloads', 'dashboard_data.sql'), 'utf8');
			await admin.query(template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(sizes[name as keyof typeof sizes])));
			await admin.query('VACUUM ANALYZE');
			await admin.query('SELECT * FROM refresh_performance_rollups()');
			await admin.query('SELECT * FROM refresh_session_activity_counts()');
			const loadSeconds = (performance.now() - loadStarted) / 1000;
			log(`exporter: loaded in ${loadSeconds.toFixed(0)} s`);
			const rows: Record<string, number> = {};
			for (const table of ['sessions', 'session_lifecycle', 'context_history', 'performance_logs']) {
				rows[table] = Number((await admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
			}

			const connectMonitor = async () => connect({dsn: db.url, purpose: 'monitor', component: '-bench'});
			const monitorDb = createMonitorDatabase({connect: connectMonitor, queryTimeoutMs: 60_000});
			const monitor = createMonitorData(monitorDb);
			// the exporter as it runs (storage read once a minute: not in these rounds), and one that reads storage every time
			const exporter = (storageEveryMs?: number) =>
				new DatabaseCollector({name: 'bench', label: db.name, connect: connectMonitor, settleSeconds: 10, queryTimeoutMs: 60_000, storageLimitBytes: 100 * 1024 ** 3, ...(storageEveryMs === undefined ? {} : {storageEveryMs})});
			const collector = exporter();
			const storageCollector = exporter(0);
			const exact = await connectMonitor();
			try {
				const first = await collector.collect(); // counts the lifecycle rows once, as a new exporter does
				if (!first.up) throw new Error(`the exporter's first read failed: ${first.lastError}`);
				await storageCollector.collect();
				const sampledShare = first.reading?.sessionsSampledShare ?? Number.NaN;
				const run: Record<Measure, () => Promise<unknown>> = {
					scrape: async () => {
						const status = await collector.collect();
						if (!status.up) throw new Error(`scrape failed: ${status.lastError}`);
					},
					'scrape that reads storage': async () => {
						const status = await storageCollector.collect();
						if (!status.up) throw new Error(`scrape failed: ${status.lastError}`);
					},
					'sessions screen': async () => monitor.sessionsPage({sort: 'last_activity', limit: 20, offset: 0}),
					'performance screen (1 h)': async () => Promise.all([monitor.performanceTable({threshold: 95}), monitor.latencySeries({window: '1h', points: 100})]),
					'storage screen': async () => monitor.storage({limitBytes: 100 * 1024 ** 3}),
					'exact count by status (before)': async () => exact.query(sqlText('queries/exporter_sessions')),
				};
				for (const measure of measures) await run[measure](); // warm-up
				const runsMs = Object.fromEntries(measures.map(m => [m, [] as number[]])) as Record<Measure, number[]>;
				for (let round = 0; round < options.rounds; round++) {
					// a little traffic between rounds: status changes (lifecycle rows) and calls
					await admin.query(`UPDATE sessions SET status = CASE status WHEN 'active' THEN 'paused' ELSE 'active' END
					                    WHERE session_key IN (SELECT 'dash-' || (1 + (g * 7919 + $1::int * 104729) % $2::int) FROM generate_series(1, 20) g) AND archived_at IS NULL`, [round, n]);
					await admin.query(`INSERT INTO performance_logs (operation, duration_ms, success, created_at)
					                   SELECT 'update_context', 10 + g % 90, g % 50 <> 0, now() - interval '30 seconds' FROM generate_series(1, 50) g`);
					for (const measure of rotate(measures, round)) {
						const started = performance.now();
						await run[measure]();
						runsMs[measure].push(performance.now() - started);
					}
				}

				const medianMs = Object.fromEntries(measures.map(m => [m, median(runsMs[m])])) as Record<Measure, number>;
				const ratios = measures
					.filter(m => !m.startsWith('scrape'))
					.map(against => ({against, ratio: medianMs.scrape / medianMs[against], withStorage: medianMs['scrape that reads storage'] / medianMs[against]}));
				log(`exporter: ${measures.map(m => `${m} ${medianMs[m].toFixed(1)} ms`).join(', ')}; sampled share ${sampledShare.toFixed(4)}`);

				// the sampled gauges against the exact counts, no write in between
				const counted = await sessionsByStatus(exact, sessionCounting);
				const truth = (await exact.query(sqlText('queries/exporter_sessions'))).rows.map(r => ({status: String(r.status), sessions: Number(r.sessions), archived: Number(r.archived), dormant: Number(r.dormant)}));
				const sum = (list: typeof truth, key: 'sessions' | 'archived' | 'dormant') => list.reduce((total, r) => total + r[key], 0);
				const states = (list: typeof truth) => ({
					active: sum(list, 'sessions') - sum(list, 'archived') - sum(list, 'dormant'),
					dormant: sum(list, 'dormant'),
					archived: sum(list, 'archived'),
				});
				const error = (exactValue: number, value: number) => (exactValue === 0 ? (value === 0 ? 0 : 100) : (100 * Math.abs(value - exactValue)) / exactValue);
				const exactStates = states(truth);
				const gaugeStates = states(counted.rows);
				const accuracy = [
					...(['active', 'dormant', 'archived'] as const).map(state => ({series: `state="${state}"`, exact: exactStates[state], exporter: gaugeStates[state], errorPercent: error(exactStates[state], gaugeStates[state])})),
					...truth.map(t => {
						const value = counted.rows.find(r => r.status === t.status)?.sessions ?? 0;
						return {series: `status="${t.status}"`, exact: t.sessions, exporter: value, errorPercent: error(t.sessions, value)};
					}),
				];
				return {sessions: n, rows, loadSeconds, rounds: options.rounds, sampledShare, counting: {exactUpTo: sessionCounting.exactUpTo, sampleRows: sessionCounting.sampleRows}, runsMs, medianMs, ratios, accuracy};
			} finally {
				await exact.end().catch(() => {});
				await collector.close();
				await storageCollector.close();
				await monitorDb.close();
			}
		});
	} finally {
		await dropDatabase(server.adminUrl, db.name);
	}
}
