// handoff-top snapshot: every panel of the monitor once, as aligned text
// tables readable at 80 columns, or with --json as one JSON document. The
// default command runs this when stdout is not a terminal.
//   runSnapshot(options) → exit code (0; 3 cannot connect; 6 schema missing or outdated)
import type pg from 'pg';
import {z} from 'zod';
import type {CommandInput} from '../cli.js';
import {connect, resolveConnection} from '../db/connection.js';
import {sqlText} from '../db/sqlText.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {agents, eventJson, eventSummary, eventSymbol} from '../feed/eventText.js';
import type {ChartWindow} from '../queries/common.js';
import {dormantSessions} from '../queries/dormant.js';
import {type DatabaseHealth, type FeedLag, feedLagNow, HealthTracker, healthText} from '../queries/health.js';
import {eventCounts, recentEvents} from '../queries/events.js';
import {metricsLatest} from '../queries/metrics.js';
import {latencySeries, performanceTable} from '../queries/performance.js';
import {schemaState, type SchemaState} from '../queries/schema.js';
import {sessionsPage} from '../queries/sessions.js';
import {ceilingLine, databaseLine, storageCells, storagePanel, type StoragePanel} from '../queries/storage.js';
import {inert, inertLines} from '../text/inert.js';
import {checkFlags, dsnSchema, storageLimitFlag, thresholdFlag, windowFlag} from './commandOptions.js';
import {overdue} from '../ui/format.js';
import {duration, sparkline, textTable} from './textTable.js';

export const snapshotOptions = z.object({
	dsn: dsnSchema.optional(),
	json: z.boolean().default(false),
	threshold: thresholdFlag,
	window: windowFlag,
	limit: z.number({error: 'must be a number of rows'}).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(10),
	storageLimit: storageLimitFlag,
});
export type SnapshotOptions = z.input<typeof snapshotOptions> & {
	/** Where to print (default process.stdout). */
	stdout?: NodeJS.WritableStream;
	/** Text width (default 80). */
	columns?: number;
};

const serverRow = z.object({now: z.date(), server_version: z.string(), database: z.string()});

/** Everything the panels show, as data (also the --json document). */
type CollectOptions = {threshold: number; window: ChartWindow; limit: number; points?: number; storageLimit?: number | undefined};

/** The health line's transaction rate is measured over the snapshot's own run, at least this long. */
export const healthSampleMs = 1000;

export async function collectSnapshot(client: pg.ClientBase, options: CollectOptions) {
	const tracker = new HealthTracker();
	const first = await tracker.next(client);
	const server = serverRow.parse((await client.query(sqlText('queries/server_clock'))).rows[0]);
	const schema = await schemaState(client);
	const current = schema.state !== 'missing' && schema.state !== 'outdated';
	const panels = current ? await collectPanels(client, options, await sessionsPage(client, {sort: 'last_activity', limit: options.limit, offset: 0})) : undefined;
	const wait = first.measuredAt.getTime() + healthSampleMs - Date.now();
	if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
	const health = {...(await tracker.next(client)), feedLag: current ? await feedLagNow(client) : undefined};
	return {server, schema, health, panels};
}

async function collectPanels(
	client: pg.ClientBase,
	options: CollectOptions,
	sessions: Awaited<ReturnType<typeof sessionsPage>>,
) {
	return {
		eventCounts: await eventCounts(client, {sinceMinutes: 15}),
		events: await recentEvents(client, {limit: options.limit}),
		sessions,
		dormant: await dormantSessions(client, {limit: options.limit}),
		performance: {threshold: options.threshold, rows: await performanceTable(client, {threshold: options.threshold})},
		latency: await latencySeries(client, {window: options.window, points: options.points ?? 30}),
		metrics: await metricsLatest(client),
		storage: await storagePanel(client, {limitBytes: options.storageLimit}),
	};
}

type Snapshot = Awaited<ReturnType<typeof collectSnapshot>>;
type Panels = Awaited<ReturnType<typeof collectPanels>>;

function number(value: number, digits = 0): string {
	return value.toLocaleString('en-US', {maximumFractionDigits: digits, minimumFractionDigits: digits});
}

function renderText(whole: Snapshot, label: string, width: number): string {
	const {server, schema} = whole;
	const now = server.now.getTime();
	const out: string[] = [];
	const panel = (title: string, lines: string[]) => {
		out.push('', `── ${title} ${'─'.repeat(Math.max(0, width - title.length - 4))}`.slice(0, width), ...lines);
	};

	out.push(
		`handoff-top snapshot · ${server.now.toISOString().replace(/\.\d+Z$/, 'Z')}`,
		inert(`${label} · PostgreSQL ${server.server_version.split(' ')[0]}`).slice(0, width),
	);
	panel('Database', [healthText(whole.health, whole.health.feedLag, width)]);
	panel('Schema', [schemaLine(schema)]);
	const snapshot: Panels | undefined = whole.panels;
	// Values are inert where they are measured (textTable, the lines above); the whole text once more, as a backstop.
	if (!snapshot) return `${inertLines(out.join('\n'))}\n`;

	const counts = snapshot.eventCounts;
	const rates = Object.entries(counts.perMinute)
		.filter(([, rate]) => rate > 0)
		.map(([type, rate]) => `${inert(type)} ${number(rate, 1)}`); // any type, under its own name
	panel('Live events (newest first)', [
		...wrap(`per minute over the last ${counts.sinceMinutes} min: ${rates.length > 0 ? rates.join(' · ') : 'none'}`, width),
		...(snapshot.events.length === 0
			? ['no lifecycle events yet']
			: textTable(
					// cut as the monitor's Live events: details first, then agents, then the session
					[{header: 'AGO', align: 'right'}, {header: 'EVENT'}, {header: 'SESSION', flexible: 3, min: 12}, {header: 'AGENTS', flexible: 2, min: 10}, {header: 'DETAIL', flexible: 1, min: 10}],
					snapshot.events.map(e => [duration(now - e.createdAt.getTime()), `${eventSymbol(e.eventType)} ${e.eventType}`, e.sessionKey ?? e.sessionId, agents(e), eventSummary(e)]),
					width,
				)),
	]);

	const {rows, total} = snapshot.sessions;
	panel(`Sessions (${number(total)}, most recently active first)`, [
		...(rows.length === 0
			? ['no sessions']
			: textTable(
					// cut as the monitor's Sessions: agents first, then the session
					[
						{header: 'SESSION', flexible: 2, min: 14},
						{header: 'STATUS'},
						{header: 'AGENTS', flexible: 1, min: 12},
						{header: 'CTX', align: 'right'},
						{header: 'HANDOFFS', align: 'right'},
						{header: 'IDLE', align: 'right'},
						{header: 'LAST EVENT'},
					],
					rows.map(s => [
						s.sessionKey,
						s.archivedAt ? 'archived' : s.isDormant ? `${s.status}/dormant` : s.status,
						agents(s),
						number(s.contextCount),
						number(s.handoffCount),
						s.hoursSinceActivity === null ? '-' : duration(s.hoursSinceActivity * 3_600_000),
						s.lastLifecycleEvent ?? '-',
					]),
					width,
				)),
	]);

	panel('Dormant and due next', [
		...(snapshot.dormant.length === 0
			? ['no dormant sessions, nothing due in the next 6 h']
			: textTable(
					[{header: 'SESSION', flexible: true}, {header: 'STATE'}, {header: 'POLICY'}, {header: 'IDLE', align: 'right'}, {header: 'NEXT'}, {header: 'DUE', align: 'right'}],
					snapshot.dormant.map(d => [
						d.sessionKey,
						d.isDormant ? 'dormant' : d.status,
						d.retentionPolicy,
						d.hoursSinceActivity === null ? '-' : duration(d.hoursSinceActivity * 3_600_000),
						d.nextStep ?? '-',
						d.nextDueAt === null ? 'never' : d.overdue ? overdue : `in ${duration(d.nextDueAt.getTime() - now)}`,
					]),
					width,
				)),
	]);

	const perf = snapshot.performance;
	panel(`Performance (24 h; ! below ${perf.threshold} % success)`, [
		...(perf.rows.length === 0
			? ['no performance_logs in the last 24 h']
			: textTable(
					[
						{header: ' ', align: 'left'},
						{header: 'OPERATION', flexible: true},
						{header: 'CALLS', align: 'right'},
						{header: 'OK %', align: 'right'},
						{header: 'AVG ms', align: 'right'},
						{header: 'P95 ms', align: 'right'},
						{header: 'MAX ms', align: 'right'},
					],
					perf.rows.map(p => [p.belowThreshold ? '!' : ' ', p.operation, number(p.calls), number(p.successRatePercent, 1), number(p.avgMs, 1), number(p.p95Ms, 1), number(p.maxMs)]),
					width,
				)),
	]);

	const latency = snapshot.latency;
	panel(`Latency p95 and calls/min, last ${latency.window} (${latency.operations[0]?.p95Ms.length ?? 0} buckets)`, [
		...(latency.operations.length === 0
			? ['no calls in this window']
			: textTable(
					[{header: 'OPERATION', flexible: true}, {header: 'P95'}, {header: 'CALLS/MIN'}],
					latency.operations.map(o => [o.operation, sparkline(o.p95Ms), sparkline(o.callsPerMinute)]),
					width,
				)),
	]);

	panel('Metrics (latest per name and labels)', [
		...(snapshot.metrics.length === 0
			? ['no system_metrics in the last 24 h']
			: textTable(
					[{header: 'METRIC', flexible: 2, min: 14}, {header: 'LABELS', flexible: 1, min: 10}, {header: 'TYPE'}, {header: 'VALUE', align: 'right'}, {header: 'AGE', align: 'right'}],
					snapshot.metrics.map(m => [
						m.name,
						Object.entries(m.labels)
							.map(([k, v]) => `${k}=${String(v)}`)
							.join(',') || '-',
						m.type,
						// a counter counts: no decimals
						number(m.value, m.type === 'counter' ? 0 : 2),
						duration(now - m.recordedAt.getTime()),
					]),
					width,
				)),
	]);
	panel('Storage (SWEEP: rows the next sweep removes)', storageLines(snapshot.storage, width));
	return `${inertLines(out.join('\n'))}\n`;
}

/** The Storage panel: a line per table, the ceilings, alarms with their suggestion, what could not be read. */
export function storageLines(storage: StoragePanel, width: number): string[] {
	const lines = textTable(
		[
			{header: 'TABLE', flexible: true},
			{header: 'SIZE', align: 'right'},
			{header: 'INDEXES', align: 'right'},
			{header: 'ROWS', align: 'right'},
			{header: 'GROWTH', align: 'right'},
			{header: 'SWEEP', align: 'right'},
			{header: 'KEPT'},
		],
		storage.tables.map(t => {
			const c = storageCells(t);
			return [t.table, c.size, c.indexes, c.rows, c.growth, c.sweep, c.kept];
		}),
		width,
	);
	lines.push(...wrap(databaseLine(storage), width));
	for (const ceiling of storage.ceilings) lines.push(...wrap(ceilingLine(ceiling), width));
	for (const alarm of storage.alarms) {
		lines.push(...wrap(`! ALARM: ${alarm.message}`, width), ...wrap(`suggestion: ${alarm.suggestion}`, width - 2).map(line => `  ${line}`));
	}

	for (const note of storage.notes) lines.push(...wrap(note, width));
	return lines;
}

/** Greedy word wrap at spaces. */
function wrap(text: string, width: number): string[] {
	const lines: string[] = [];
	let line = '';
	for (const word of text.split(' ')) {
		if (line !== '' && line.length + 1 + word.length > width) {
			lines.push(line);
			line = `  ${word}`;
		} else {
			line = line === '' ? word : `${line} ${word}`;
		}
	}

	if (line !== '') lines.push(line);
	return lines;
}

function schemaLine(schema: SchemaState): string {
	return inert(`${schema.state}: ${schema.summary}`);
}

/** Values that are the database's own data: their keys stay exactly as stored. */
const dataKeys = new Set(['event_data', 'labels', 'metadata']);

/** One key style throughout the document: snake_case, as tail --json and the database's columns. */
export function snakeKeys(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(item => snakeKeys(item));
	if (value === null || typeof value !== 'object' || value instanceof Date) return value;
	return Object.fromEntries(
		Object.entries(value).map(([key, item]) => {
			const snake = key.replaceAll(/[A-Z]/g, c => `_${c.toLowerCase()}`);
			return [snake, dataKeys.has(snake) ? item : snakeKeys(item)];
		}),
	);
}

/** The health line as data: the feed's lag in ms (null: not readable, or no feed without the schema). */
function healthDocument(health: DatabaseHealth & {feedLag: FeedLag | undefined}) {
	const {feedLag, ...rest} = health;
	return {...rest, feedLagMs: typeof feedLag === 'number' ? feedLag : null, feedHeldBack: feedLag === undefined ? null : feedLag !== 0};
}

function toJson(snapshot: Snapshot, label: string): unknown {
	return snakeKeys(jsonDocument(snapshot, label));
}

function jsonDocument(snapshot: Snapshot, label: string): Record<string, unknown> {
	const document: Record<string, unknown> = {
		generated_at: snapshot.server.now.toISOString(),
		connection: {label, database: snapshot.server.database, server_version: snapshot.server.server_version},
		schema: snapshot.schema,
		health: healthDocument(snapshot.health),
	};
	const panels = snapshot.panels;
	if (panels) {
		Object.assign(document, {
			event_counts: panels.eventCounts,
			events: panels.events.map(eventJson),
			sessions: panels.sessions,
			dormant: panels.dormant,
			performance: panels.performance,
			latency: panels.latency,
			metrics: panels.metrics,
			storage: panels.storage,
		});
	}

	return document;
}

/** Prints the snapshot; returns the exit code. Throws CliError on bad options or no connection. */
export async function runSnapshot(input: SnapshotOptions & Record<string, unknown>): Promise<number> {
	const options = checkFlags(snapshotOptions, input);
	const stdout = input.stdout ?? process.stdout;
	const connectOptions = {dsn: options.dsn, purpose: 'monitor', component: '-snapshot'} as const;
	const {label} = resolveConnection(connectOptions);
	const client = await connect(connectOptions);
	let snapshot: Snapshot;
	try {
		snapshot = await collectSnapshot(client, options);
	} finally {
		await client.end().catch(() => {});
	}

	const text = options.json
		? `${JSON.stringify(toJson(snapshot, label), null, 2)}\n`
		: renderText(snapshot, label, input.columns ?? 80);
	await new Promise<void>(resolve => {
		stdout.write(text, () => resolve());
	});
	if (snapshot.schema.state === 'missing' || snapshot.schema.state === 'outdated') {
		process.stderr.write(`handoff-top snapshot: ${inert(snapshot.schema.summary)}\n`);
		return exitCodes.schemaMissing;
	}

	return exitCodes.ok;
}

export async function run({args, flags}: CommandInput): Promise<number> {
	if (args.length > 0) throw new CliError(`snapshot takes no arguments (got '${args.join(' ')}')`, exitCodes.usage);
	return runSnapshot(flags);
}
