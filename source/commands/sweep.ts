// handoff-top sweep: one run of lifecycle_sweep() (expire, dormant, archive,
// purge), the rollup refresh, and the log retention periods in bounded
// batches, for cron or pg_cron. --dry-run says what it would do, in a
// read-only transaction.
import {z} from 'zod';
import type {CommandInput} from '../cli.js';
import {connect} from '../db/connection.js';
import {sweepPartitions, type PartitionSweep, type PartitionTableSweep} from '../db/partition.js';
import {applyRetention, planRetention, type RetentionPlanRow, type RetentionResult} from '../db/retention.js';
import {requireCurrentSchema} from '../db/schemaState.js';
import {sqlText} from '../db/sqlText.js';
import {exitCodes} from '../exitCodes.js';
import {inert} from '../text/inert.js';
import {noArguments, positiveIntegerFlag, stringFlag} from './flagValues.js';
import {userFacingError} from './pgErrors.js';

const sweepRow = z.object({
	action: z.enum(['expire', 'dormant', 'archive', 'purge']),
	session_id: z.string(),
	session_key: z.string(),
	retention_policy: z.string().nullable(),
	detail: z.record(z.string(), z.unknown()).nullable(),
});
type SweepRow = z.infer<typeof sweepRow>;
const rollupRow = z.object({
	rolled_to: z.date().nullable(),
	minute_rows: z.coerce.number(),
	ten_minute_rows: z.coerce.number(),
	hour_rows: z.coerce.number(),
	sessions_counted: z.coerce.number(),
});

const actions = ['expire', 'dormant', 'archive', 'purge'] as const;
const pastTense: Record<SweepRow['action'], string> = {expire: 'expired', dormant: 'marked dormant', archive: 'archived', purge: 'purged'};
const listed = 20;
/** Each retention batch's statement and lock timeout: the longest a writer waits on the sweep. */
export const retentionBatchTimeoutMs = 2000;
/** Daily partitions of a partitioned performance_logs or system_metrics the sweep keeps created ahead. */
export const partitionsAhead = 3;

export async function run({args, flags}: CommandInput): Promise<number> {
	noArguments('sweep', args);
	const dsn = stringFlag(flags, 'dsn');
	const dryRun = flags['dryRun'] === true;
	const limit = positiveIntegerFlag(flags, 'limit', '--limit') ?? 10_000;
	const batchRows = positiveIntegerFlag(flags, 'batch', '--batch') ?? 5000;
	const client = await connect({dsn, purpose: 'admin', component: '-sweep'});
	let rows: SweepRow[];
	let rollups: z.infer<typeof rollupRow> | undefined;
	let retention: RetentionResult | undefined;
	let plan: RetentionPlanRow[] | undefined;
	let partitions: PartitionSweep | undefined;
	const started = performance.now();
	try {
		await requireCurrentSchema(client);
		if (dryRun) await client.query(sqlText('migrate/begin_read_only'));
		try {
			rows = (await client.query(sqlText('sweep/run'), [dryRun, limit])).rows.map(row => sweepRow.parse(row));
			// The performance screen's rollups and the sessions screen's counts ride on the same schedule.
			if (!dryRun) rollups = rollupRow.parse((await client.query(sqlText('sweep/refresh_rollups'))).rows[0]);
			// The dry run counts what the retention batches would remove after that refresh.
			else plan = await planRetention(client, {afterRefresh: true});
		} finally {
			if (dryRun) await client.query(sqlText('migrate/rollback')).catch(() => {});
		}

		// A partitioned performance_logs or system_metrics (handoff-top partition) loses its expired days as
		// whole partitions first (the dry run: rolled back), then the batches remove what is left past the cutoff.
		partitions = await sweepPartitions(client, {ahead: partitionsAhead, timeoutMs: retentionBatchTimeoutMs, dryRun});
		// After the refresh: raw rows not rolled up yet are never removed.
		if (!dryRun) retention = await applyRetention(client, {batchRows, batchTimeoutMs: retentionBatchTimeoutMs});
	} catch (error) {
		throw userFacingError(error, dryRun ? 'planning the sweep' : 'sweeping');
	} finally {
		await client.end().catch(() => {});
	}

	const ms = Math.round(performance.now() - started);
	const counts = Object.fromEntries(actions.map(action => [action, rows.filter(row => row.action === action).length]));
	if (flags['json'] === true) {
		process.stdout.write(
			`${JSON.stringify(
				{
					dryRun,
					limit,
					ms,
					counts,
					rollups: rollups && {rolledUpTo: rollups.rolled_to, minuteRows: rollups.minute_rows, tenMinuteRows: rollups.ten_minute_rows, hourRows: rollups.hour_rows, sessionsCounted: rollups.sessions_counted},
					retention: retentionJson(retention, plan, batchRows),
					partitions:
						partitions && partitions.length > 0
							? Object.fromEntries(partitions.map(p => [p.table, {cutoff: p.cutoff, note: p.note, dropped: p.dropped, created: p.created, skipped: p.skipped}]))
							: null,
					sessions: rows.map(row => ({
						action: row.action,
						sessionId: row.session_id,
						sessionKey: row.session_key,
						retentionPolicy: row.retention_policy,
						detail: row.detail,
					})),
				},
				null,
				2,
			)}\n`,
		);
		return exitCodes.ok;
	}

	const verb = dryRun ? 'would be' : '';
	const summary = actions.map(action => `${counts[action]} ${verb ? `${verb} ` : ''}${pastTense[action]}`).join(', ');
	const lines = [`${dryRun ? 'sweep dry run (nothing changed)' : 'sweep'}: ${summary} (${ms} ms)`];
	if (rollups) {
		lines.push(
			`  latency rollups refreshed up to ${rollups.rolled_to?.toISOString() ?? 'now'} (${rollups.minute_rows} minute rows); activity counts of ${rollups.sessions_counted} sessions`,
		);
	}
	for (const table of partitions ?? []) lines.push(...partitionLines(table, dryRun));
	lines.push(...retentionLines(retention, plan));
	for (const row of rows.slice(0, listed)) {
		// session keys and policy names are anyone's: inert text (--json above is exact)
		lines.push(`  ${row.action.padEnd(7)} ${inert(row.session_key)}  ${row.session_id}  (${inert(row.retention_policy ?? 'no policy')})`);
	}

	if (rows.length > listed) lines.push(`  ... and ${rows.length - listed} more (--json lists them all)`);
	process.stdout.write(`${lines.join('\n')}\n`);
	return exitCodes.ok;
}

function retentionJson(done: RetentionResult | undefined, plan: RetentionPlanRow[] | undefined, batchRows: number) {
	if (done) {
		return {
			batchRows: done.batchRows,
			batchTimeoutMs: done.batchTimeoutMs,
			batches: done.batches,
			retriedSmaller: done.retriedSmaller,
			tables: done.tables.map(t => ({name: t.name, table: t.table, keepFor: t.keepFor, cutoff: t.cutoff, removed: t.removed})),
		};
	}

	return {
		batchRows,
		batchTimeoutMs: retentionBatchTimeoutMs,
		tables: (plan ?? []).map(t => ({
			name: t.name,
			table: t.table,
			keepFor: t.keepFor,
			cutoff: t.cutoff,
			heldByRollups: t.heldByRollups,
			readable: t.readable,
			wouldRemove: t.rowsDue,
			capped: t.capped,
		})),
	};
}

const count = (n: number) => n.toLocaleString('en-US');

/** The table a period removes from, as the text says it: 'performance_rollup (1m)'. */
function tableLabel(name: string, table: string): string {
	const tier = /^performance_rollup_(\w+)$/.exec(name)?.[1];
	return tier ? `${table} (${tier})` : table;
}

function keptFor(keepFor: string | null, heldByRollups = false): string {
	if (keepFor === null) return 'kept for ever';
	return heldByRollups ? `older than ${keepFor}, held back to what the rollups have read` : `older than ${keepFor}`;
}

function retentionLines(done: RetentionResult | undefined, plan: RetentionPlanRow[] | undefined): string[] {
	const rows = done
		? done.tables.map(t => ({label: tableLabel(t.name, t.table), n: count(t.removed), why: keptFor(t.keepFor)}))
		: (plan ?? []).map(t => ({
				label: tableLabel(t.name, t.table),
				n: t.rowsDue === null ? 'cannot read' : `${t.capped ? 'over ' : ''}${count(t.rowsDue)}`,
				why: keptFor(t.keepFor, t.heldByRollups),
			}));
	if (rows.length === 0) return [];
	const head = done
		? `  log retention: ${count(done.tables.reduce((sum, t) => sum + t.removed, 0))} rows removed in ${count(done.batches)} batches (each its own transaction, at most ${count(done.batchRows)} rows a table, ${done.batchTimeoutMs} ms)`
		: '  log retention: rows that would be removed';
	const width = Math.max(...rows.map(r => r.label.length));
	const numbers = Math.max(...rows.map(r => r.n.length));
	return [head, ...rows.map(r => `    ${r.label.padEnd(width)}  ${r.n.padStart(numbers)}  ${r.why}`)];
}

function partitionLines(p: PartitionTableSweep, dryRun: boolean): string[] {
	const names = (list: string[]) => (list.length === 0 ? 'none' : list.join(', '));
	return [
		`  ${p.table} partitions ${dryRun ? 'that would be ' : ''}dropped (${p.cutoff ? `entirely older than ${p.cutoff.toISOString()}` : `none: ${p.note ?? 'no cutoff'}`}): ${names(p.dropped.map(d => d.partition))}`,
		`  ${p.table} partitions ${dryRun ? 'that would be ' : ''}created ahead: ${names(p.created)}`,
		...p.skipped.map(s => `  ${p.table} partition ${s.partition} not created: ${inert(s.reason)}`),
	];
}
