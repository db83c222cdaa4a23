// Converting performance_logs or system_metrics to declarative range
// partitioning by its time column (sql/partition/), without copying a row:
// the existing table becomes the partition FROM (MINVALUE) TO (bound), proven
// by a CHECK added NOT VALID and validated while writers go on, with the
// unique index (id, time) built CONCURRENTLY; the only ACCESS EXCLUSIVE lock
// is the swap's (renames, the new parent, ATTACH: catalog work only), timed
// here. The sweep's partition step is log_retention_partitions() of 015.
//   partitionState(client, table) → PartitionState
//   convertToPartitions(client, table, {bound, ahead, lockTimeoutMs}) → {swapMs}   (the client must not be in a transaction)
//   sweepPartitions(client, {ahead, timeoutMs, dryRun}) → PartitionSweep
import type pg from 'pg';
import {z} from 'zod';
import {render} from './monitorRole.js';
import {sqlText} from './sqlText.js';

/** The tables `handoff-top partition` converts, and the time column each is partitioned by. */
export const partitionTables = {performance_logs: 'created_at', system_metrics: 'recorded_at'} as const;
export type PartitionTable = keyof typeof partitionTables;

/** The names the conversion gives: the old table as a partition, its bound CHECK, the key's unique index. */
export function partitionNames(table: PartitionTable) {
	const column = partitionTables[table];
	return {column, legacy: `${table}_legacy`, bound: `${table}_legacy_bound`, keyIndex: `${table}_legacy_id_${column}`};
}

function templateValues(client: pg.ClientBase, table: PartitionTable): Record<string, string> {
	const names = partitionNames(table);
	return {
		table: client.escapeIdentifier(table),
		column: client.escapeIdentifier(names.column),
		bound: client.escapeIdentifier(names.bound),
		key_index: client.escapeIdentifier(names.keyIndex),
	};
}

const stateRow = z.object({kind: z.string(), row_count: z.coerce.number(), bound: z.date(), bound_added: z.boolean()});
export type PartitionState = {partitioned: boolean; rows: number; bound: Date; boundAdded: boolean};

export async function partitionState(client: pg.ClientBase, table: PartitionTable): Promise<PartitionState> {
	const text = render(sqlText('partition/state'), templateValues(client, table));
	const row = stateRow.parse((await client.query(text, [table, partitionNames(table).bound])).rows[0]);
	return {partitioned: row.kind === 'p', rows: row.row_count, bound: row.bound, boundAdded: row.bound_added};
}

/** The steps, as --dry-run prints them: what each does and the lock it takes. */
export function partitionPlan(table: PartitionTable, bound: Date, ahead: number): Array<{step: string; lock: string}> {
	const {column, legacy, bound: check, keyIndex} = partitionNames(table);
	const day = (n: number) => new Date(bound.getTime() + n * 86_400_000).toISOString().slice(0, 10);
	return [
		{step: `ADD CONSTRAINT ${check} CHECK (${column} IS NOT NULL AND ${column} < '${bound.toISOString()}') NOT VALID`, lock: 'ACCESS EXCLUSIVE, no scan (milliseconds)'},
		{step: `VALIDATE CONSTRAINT ${check} (reads every row)`, lock: 'SHARE UPDATE EXCLUSIVE: reads and writes go on'},
		{step: `CREATE UNIQUE INDEX CONCURRENTLY ${keyIndex} ON ${table} (id, ${column})`, lock: 'SHARE UPDATE EXCLUSIVE: reads and writes go on'},
		{
			step: `swap, one transaction: ${table} becomes ${legacy}, a new ${table} PARTITION BY RANGE (${column}) with the same columns, defaults, checks, foreign keys, index names, owner, privileges and PRIMARY KEY (id, ${column}); ATTACH ${legacy} FOR VALUES FROM (MINVALUE) TO ('${bound.toISOString()}'); a DEFAULT partition; daily partitions ${day(0)}${ahead > 1 ? ` to ${day(ahead - 1)}` : ''}; views re-created on the new table`,
			lock: `ACCESS EXCLUSIVE on ${table}, catalog work only (no row read or copied)`,
		},
	];
}

export class PartitionLockError extends Error {
	constructor(table: string, timeoutMs: number) {
		super(`partition: could not lock ${table} within ${timeoutMs} ms (a long transaction holds it); nothing was swapped, run it again`);
		this.name = 'PartitionLockError';
	}
}

/** Runs the conversion. Steps 1-3 are idempotent (a run cut short is resumed); the swap is all or nothing. */
export async function convertToPartitions(
	client: pg.ClientBase,
	table: PartitionTable,
	options: {bound: Date; ahead: number; lockTimeoutMs: number},
): Promise<{swapMs: number}> {
	const names = partitionNames(table);
	const values = templateValues(client, table);
	await client.query(sqlText('partition/set_bound'), [options.bound.toISOString(), String(options.ahead), table, names.column]);
	await client.query(sqlText('partition/add_bound'));
	await client.query(render(sqlText('partition/validate_bound'), values));
	const valid = z.array(z.object({valid: z.boolean()})).parse((await client.query(sqlText('partition/key_index_valid'), [names.keyIndex])).rows);
	if (valid[0]?.valid === false) await client.query(render(sqlText('partition/drop_key_index'), values));
	await client.query(render(sqlText('partition/key_index'), values));
	const started = performance.now();
	await client.query(sqlText('connection/begin'));
	try {
		await client.query(sqlText('partition/lock_timeout'), [`${options.lockTimeoutMs}ms`]);
		await client.query(sqlText('partition/swap'));
		await client.query(sqlText('connection/commit'));
	} catch (error) {
		await client.query(sqlText('connection/rollback')).catch(() => {});
		if ((error as {code?: string}).code === '55P03') throw new PartitionLockError(table, options.lockTimeoutMs);
		throw error;
	}

	return {swapMs: Math.round(performance.now() - started)};
}

const sweepRow = z.object({
	table_name: z.string(),
	action: z.enum(['partitioned', 'dropped', 'created', 'skipped']),
	partition_name: z.string().nullable(),
	upper_bound: z.date().nullable(),
	cutoff: z.date().nullable(),
	reason: z.string().nullable(),
});
export type PartitionTableSweep = {
	table: string;
	/** Partitions whose upper bound is at or below it go; null: none go (`note` says why). */
	cutoff: Date | null;
	note: string | null;
	dropped: Array<{partition: string; upperBound: Date}>;
	created: string[];
	skipped: Array<{partition: string; reason: string}>;
};
/** One entry per partitioned table (none: neither is partitioned). */
export type PartitionSweep = PartitionTableSweep[];

/** The sweep's partition step (log_retention_partitions() of 015), one transaction under a lock and statement
 * timeout of timeoutMs: drops the partitions of a partitioned performance_logs or system_metrics entirely past
 * its cutoff and creates the next `ahead` days' partitions. dryRun: what it would drop and create, without a
 * DDL statement (the monitor role may run it), and rolled back. The client must not be inside a transaction. */
export async function sweepPartitions(client: pg.ClientBase, options: {ahead: number; timeoutMs: number; dryRun: boolean}): Promise<PartitionSweep> {
	await client.query(sqlText('connection/begin'));
	try {
		await client.query(sqlText('retention/batch_limits'), [`${options.timeoutMs}ms`]);
		const rows = (await client.query(sqlText('partition/sweep'), [options.ahead, options.dryRun])).rows.map(row => sweepRow.parse(row));
		await client.query(sqlText(options.dryRun ? 'connection/rollback' : 'connection/commit'));
		const tables: PartitionSweep = [];
		for (const row of rows) {
			if (row.action === 'partitioned') {
				tables.push({table: row.table_name, cutoff: row.cutoff, note: row.reason, dropped: [], created: [], skipped: []});
				continue;
			}

			const entry = tables.find(t => t.table === row.table_name)!;
			const partition = row.partition_name ?? '';
			if (row.action === 'dropped') entry.dropped.push({partition, upperBound: row.upper_bound!});
			else if (row.action === 'created') entry.created.push(partition);
			else entry.skipped.push({partition, reason: row.reason ?? ''});
		}

		return tables;
	} catch (error) {
		await client.query(sqlText('connection/rollback')).catch(() => {});
		throw error;
	}
}
