// Benchmark 1: what the enhancement costs the handoff server's writes.
// pgbench runs the workloads of bench/workloads against four databases on one
// server - base schema, the spec's reference design, handoff-top with no
// monitor, handoff-top with a monitor listening - interleaved round by round
// (the order rotates each round) so machine noise hits all alike.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {createDatabase, dropDatabase, installSchema, withClient, type BenchServer, type SchemaKind} from './lib/server.js';
import {startListener, type Listener} from './lib/listener.js';
import {median, rotate, run} from './lib/util.js';

export type WriteConfig =
	| 'base'
	| 'reference'
	| 'reference -NOTIFY'
	| 'handoff-top'
	| 'handoff-top+monitor'
	| 'handoff-top 001-005'
	| 'server'
	| 'handoff-top+server'
	| 'D0 +the indexes 009 dropped'
	| 'D1 -lifecycle row'
	| 'D2 -other row triggers'
	| 'D3 -enhancement indexes'
	| 'L -foreign key'
	| 'L -feed index (xid, seq)'
	| 'L -BRIN (created_at)'
	| 'L -index (session_id, created_at)'
	| 'L the bare row (all of the above)'
	| 'L the trigger runs, writes no row';
/** --diagnose: handoff-top with its write-path pieces taken away one by one (cumulative), to see what each costs. */
export const diagnoseConfigs: WriteConfig[] = ['D0 +the indexes 009 dropped', 'D1 -lifecycle row', 'D2 -other row triggers', 'D3 -enhancement indexes'];
const diagnoseSql: string[] = [
	// migrations 009, 012 and 016 undone: the base's four redundant indexes back in place of the name holders (sequences
	// since 016), the dormant composite over every session
	'DROP SEQUENCE idx_sessions_session_key, idx_sessions_status, idx_context_history_session_id; ' +
		'CREATE INDEX idx_sessions_session_key ON sessions (session_key); CREATE INDEX idx_sessions_status ON sessions (status); ' +
		'CREATE INDEX idx_context_history_session_id ON context_history (session_id); ' +
		'CREATE INDEX idx_context_history_session_sequence ON context_history (session_id, sequence_number); ' +
		'DROP INDEX idx_sessions_dormant_last_activity; CREATE INDEX idx_sessions_dormant_last_activity ON sessions (is_dormant, last_activity_at)',
	'ALTER TABLE sessions DISABLE TRIGGER log_session_lifecycle',
	'ALTER TABLE sessions DISABLE TRIGGER update_sessions_last_activity',
	'DROP INDEX idx_sessions_last_activity_at, idx_sessions_is_dormant, idx_sessions_archived_at, idx_sessions_retention_policy, idx_sessions_status_last_activity, idx_sessions_dormant_last_activity, idx_sessions_expires_at_live, idx_sessions_lifecycle_due, idx_sessions_expiry_by_policy',
];
/** --diagnose, second part: one piece of the lifecycle row's table taken away at a time (not cumulative). */
// Without the (xid, seq) index the wake-up's look-up of its transaction's events
// would scan the whole table; nobody listens in these configurations, so the
// gate is told nobody ever will (each backend then skips the wake-up for good).
const noWakeUp = "UPDATE lifecycle_notify_gate SET listener_pattern = 'nobody%', listener_present = false, listener_checked_at = 'infinity'";
const lifecyclePieces: Partial<Record<WriteConfig, string>> = {
	'L -foreign key': 'ALTER TABLE session_lifecycle DROP CONSTRAINT session_lifecycle_session_id_fkey',
	'L -feed index (xid, seq)': `DROP INDEX idx_session_lifecycle_xid_seq; ${noWakeUp}`,
	'L -BRIN (created_at)': 'DROP INDEX idx_session_lifecycle_created_at',
	'L -index (session_id, created_at)': 'DROP INDEX idx_session_lifecycle_session_id',
	// what a row per change costs by itself: the same trigger and INSERT into a table with only its primary key
	// (the event-type rule is in handoff_top_lifecycle_row since 016, no longer a CHECK; a database from before has the CHECK)
	'L the bare row (all of the above)':
		'ALTER TABLE session_lifecycle DROP CONSTRAINT session_lifecycle_session_id_fkey, DROP CONSTRAINT IF EXISTS session_lifecycle_event_type_check; ' +
		`DROP INDEX idx_session_lifecycle_xid_seq, idx_session_lifecycle_created_at, idx_session_lifecycle_session_id; ${noWakeUp}`,
	// what calling the AFTER trigger costs without its INSERT
	'L the trigger runs, writes no row': 'CREATE OR REPLACE FUNCTION log_session_lifecycle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$',
};
/** Pieces taken away one at a time (the rest of lifecyclePieces take several, or all, away). */
export const singleLifecyclePieces: WriteConfig[] = ['L -foreign key', 'L -feed index (xid, seq)', 'L -BRIN (created_at)', 'L -index (session_id, created_at)'];
export const lifecyclePieceConfigs = Object.keys(lifecyclePieces) as WriteConfig[];
/** The reference design without its per-row pg_notify: the issue's "indexes + a lifecycle row per change" configuration. */
const referenceSql: Partial<Record<WriteConfig, string>> = {'reference -NOTIFY': 'DROP TRIGGER notify_session_lifecycle ON session_lifecycle'};
/** server: the real handoff server's own schema (its start-up DDL on an empty database); handoff-top+server:
 * handoff-top's migrations with the server started on them, as a real database is. */
export const writeConfigs: WriteConfig[] = ['base', 'reference', 'reference -NOTIFY', 'handoff-top 001-005', 'handoff-top', 'handoff-top+monitor', 'server', 'handoff-top+server'];
/** Measured at the largest client count only. */
const previousConfigs: WriteConfig[] = ['handoff-top 001-005'];
const monitored = (config: WriteConfig) => config.endsWith('+monitor');

export type WorkloadName = 'status' | 'mix' | 'server';
export const workloadFiles: Record<WorkloadName, Array<[file: string, weight: number]>> = {
	status: [['status_change.sql', 1]],
	mix: [
		['mix_register.sql', 1],
		['mix_context.sql', 4],
		['mix_handoff.sql', 1],
		['mix_status.sql', 2],
		['mix_performance.sql', 4],
	],
	server: [['server_update_context.sql', 1]],
};

export type WriteOptions = {
	durationS: number;
	rounds: number;
	clients: number[];
	sessions: number;
	workloads: WorkloadName[];
	pgbench: string;
	/** Also measure the previous schema (migrations 001-005, before 006 made the triggers lighter). */
	previous: boolean;
	/** Also measure handoff-top with its write-path pieces removed one by one (status workload, largest client count). */
	diagnose?: boolean;
};

export type WriteSample = {workload: WorkloadName; clients: number; config: WriteConfig; round: number; tps: number; latencyMs: number; failed: number};

export type WriteResult = {
	options: Omit<WriteOptions, 'pgbench'> & {pgbench: string; pgbenchVersion: string};
	listenerKind: string;
	monitorEventsRead: number;
	/** CPU the monitor process used over the whole run (s), and the seconds of pgbench runs it watched. */
	monitorCpuSeconds?: number;
	monitoredRunSeconds: number;
	samples: WriteSample[];
	/** median TPS per workload/clients/config */
	medians: Array<{workload: WorkloadName; clients: number; config: WriteConfig; tps: number; perRound: number[]}>;
	triggerProfile?: TriggerProfile[];
};

export type TriggerProfile = {config: WriteConfig; statement: string; executionMs: number; triggers: Array<{name: string; ms: number; calls: number}>};

const schemaOf: Record<WriteConfig, SchemaKind> = {
	base: 'base',
	reference: 'reference',
	'reference -NOTIFY': 'reference',
	'handoff-top': 'handoff-top',
	'handoff-top+monitor': 'handoff-top',
	'handoff-top 001-005': 'handoff-top 001-005',
	server: 'server',
	'handoff-top+server': 'handoff-top+server',
	'D0 +the indexes 009 dropped': 'handoff-top',
	'D1 -lifecycle row': 'handoff-top',
	'D2 -other row triggers': 'handoff-top',
	'D3 -enhancement indexes': 'handoff-top',
	'L -foreign key': 'handoff-top',
	'L -feed index (xid, seq)': 'handoff-top',
	'L -BRIN (created_at)': 'handoff-top',
	'L -index (session_id, created_at)': 'handoff-top',
	'L the bare row (all of the above)': 'handoff-top',
	'L the trigger runs, writes no row': 'handoff-top',
};

function parsePgbench(out: string): {tps: number; latencyMs: number; failed: number} {
	const tps = /tps = ([\d.]+)/.exec(out);
	const latency = /latency average = ([\d.]+) ms/.exec(out);
	const failed = /number of failed transactions: (\d+)/.exec(out);
	if (!tps) throw new Error(`cannot read pgbench output:\n${out}`);
	return {tps: Number(tps[1]), latencyMs: latency ? Number(latency[1]) : Number.NaN, failed: failed ? Number(failed[1]) : 0};
}

export async function runWriteCost(
	server: BenchServer,
	root: string,
	options: WriteOptions,
	log: (line: string) => void,
): Promise<WriteResult> {
	const dir = path.join(root, 'bench', 'workloads');
	const sessionsSql = (file: string) => readFileSync(path.join(dir, file), 'utf8').replaceAll(':sessions', String(options.sessions));
	const dbs = new Map<WriteConfig, {name: string; url: string}>();
	const listeners: Listener[] = [];
	let listenerNote = '';
	const configs = [...writeConfigs.filter(c => options.previous || !previousConfigs.includes(c)), ...(options.diagnose ? [...diagnoseConfigs, ...lifecyclePieceConfigs] : [])];
	const diagnosing = (config: WriteConfig) => diagnoseConfigs.includes(config) || lifecyclePieceConfigs.includes(config);
	const pgbenchVersion = (await run(options.pgbench, ['--version'])).stdout.trim();
	try {
		for (const config of configs) {
			const db = await createDatabase(server.adminUrl, `bench_write_${config.replace(/[^a-z]/g, '')}`);
			dbs.set(config, db);
			await installSchema(db.url, schemaOf[config], root);
			await withClient(db.url, async c => {
				const step = diagnoseConfigs.indexOf(config);
				for (let i = 0; i <= step; i++) await c.query(diagnoseSql[i]!);
				if (lifecyclePieces[config]) await c.query(lifecyclePieces[config]);
				if (referenceSql[config]) await c.query(referenceSql[config]);
				if (config === 'base') await c.query(sessionsSql('setup_base.sql'));
				await c.query(sessionsSql('setup_common.sql'));
				await c.query('VACUUM ANALYZE');
			});
		}

		log(`write cost: ${options.sessions} sessions per database, pgbench ${pgbenchVersion}`);
		for (const config of configs.filter(monitored)) {
			const listener = await startListener(root, dbs.get(config)!.url, true);
			listeners.push(listener);
			listenerNote = listener.note;
		}
		log(`write cost: monitor = ${listenerNote}`);
		// CPU of the listening monitors together; undefined when one cannot be read
		const listenersCpu = () => {
			const each = listeners.map(l => l.cpuSeconds());
			return each.length > 0 && each.every(c => c !== undefined) ? each.reduce((sum, c) => sum + c, 0) : undefined;
		};
		const listenersCpuAtStart = listenersCpu();

		const samples: WriteSample[] = [];
		for (const workload of options.workloads) {
			for (const clients of options.clients) {
				for (let round = 0; round < options.rounds; round++) {
					const maxClients = Math.max(...options.clients);
					for (const config of rotate(configs, round + clients)) {
						if (previousConfigs.includes(config) && clients !== maxClients) continue;
						if (diagnosing(config) && (clients !== maxClients || workload !== 'status')) continue;
						// the server's statements name last_activity_at, which the pre-enhancement base has not
						if (workload === 'server' && config === 'base') continue;
						const db = dbs.get(config)!;
						await withClient(db.url, c => c.query('CHECKPOINT'));
						const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(options.durationS), '-D', `sessions=${options.sessions}`];
						for (const [file, weight] of workloadFiles[workload]) args.push('-f', `${path.join(dir, file)}@${weight}`);
						args.push(db.url);
						const r = await run(options.pgbench, args, {timeoutMs: (options.durationS + 60) * 1000});
						if (r.code !== 0 && !/tps = /.test(r.stdout)) throw new Error(`pgbench failed for ${config}: ${r.stderr || r.stdout}`);
						const parsed = parsePgbench(r.stdout);
						samples.push({workload, clients, config, round, ...parsed});
						log(`  ${workload} c=${clients} round ${round + 1}/${options.rounds} ${config.padEnd(20)} ${parsed.tps.toFixed(0)} tps`);
					}
				}
			}
		}

		const monitorEventsRead = listeners.reduce((sum, l) => sum + l.events(), 0);
		const listenersCpuAtEnd = listenersCpu();
		const monitorCpuSeconds = listenersCpuAtStart !== undefined && listenersCpuAtEnd !== undefined ? listenersCpuAtEnd - listenersCpuAtStart : undefined;
		for (const l of listeners.splice(0)) await l.stop();

		const triggerProfile: TriggerProfile[] = [];
		for (const config of configs.filter(c => c === 'base' || c === 'reference' || c === 'handoff-top' || previousConfigs.includes(c) || diagnoseConfigs.includes(c))) {
			triggerProfile.push(await profileStatusChange(dbs.get(config)!.url, config));
		}

		const medians: WriteResult['medians'] = [];
		for (const workload of options.workloads) {
			for (const clients of options.clients) {
				for (const config of configs) {
					const perRound = samples.filter(s => s.workload === workload && s.clients === clients && s.config === config).map(s => s.tps);
					if (perRound.length > 0) medians.push({workload, clients, config, tps: median(perRound), perRound});
				}
			}
		}

		return {
			options: {durationS: options.durationS, rounds: options.rounds, clients: options.clients, sessions: options.sessions, workloads: options.workloads, previous: options.previous, pgbench: options.pgbench, pgbenchVersion},
			listenerKind: listenerNote,
			monitorEventsRead,
			monitorCpuSeconds,
			monitoredRunSeconds: samples.filter(s => monitored(s.config)).length * options.durationS,
			samples,
			medians,
			triggerProfile,
		};
	} finally {
		for (const l of listeners) await l.stop().catch(() => {});
		for (const db of dbs.values()) await dropDatabase(server.adminUrl, db.name);
	}
}

/** Where one status change spends its time: EXPLAIN ANALYZE of 200 status
 * changes in one transaction (rolled back), with per-trigger times. */
async function profileStatusChange(url: string, config: WriteConfig): Promise<TriggerProfile> {
	const statement = "UPDATE sessions SET status = CASE status WHEN 'active' THEN 'paused' ELSE 'active' END WHERE session_key = 'bench-' || $1";
	return withClient(url, async c => {
		await c.query('BEGIN');
		try {
			let executionMs = 0;
			const triggers = new Map<string, {ms: number; calls: number}>();
			for (let i = 1; i <= 200; i++) {
				const {rows} = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.replace('$1', `'${i}'`)}`);
				const plan = rows[0]['QUERY PLAN'][0];
				executionMs += plan['Execution Time'];
				for (const t of plan['Triggers'] ?? []) {
					const entry = triggers.get(t['Trigger Name']) ?? {ms: 0, calls: 0};
					entry.ms += t['Time'];
					entry.calls += t['Calls'];
					triggers.set(t['Trigger Name'], entry);
				}
			}

			return {
				config,
				statement: 'status change x200',
				executionMs,
				triggers: [...triggers].map(([name, t]) => ({name, ...t})).sort((a, b) => b.ms - a.ms),
			};
		} finally {
			await c.query('ROLLBACK');
		}
	});
}
