// Converting performance_logs to declarative range partitioning by created_at
// (sql/partition/), without copying a row: the existing table becomes the
// partition FROM (MINVALUE) TO (bound), proven by a CHECK added NOT VALID and
// validated while writers go on, with the unique index (id, created_at) built
// CONCURRENTLY; the only ACCESS EXCLUSIVE lock is the swap's (renames, the new
// parent, ATTACH: catalog work only), timed here.
//   partitionState(client) → PartitionState
//   convertToPartitions(client, {bound, ahead, lockTimeoutMs}) → {swapMs}   (the client must not be in a transaction)
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from './sqlText.js';

const stateRow = z.object({kind: z.string(), row_count: z.coerce.number(), bound: z.date(), bound_added: z.boolean()});
export type PartitionState = {partitioned: boolean; rows: number; bound: Date; boundAdded: boolean};

export async function partitionState(client: pg.ClientBase): Promise<PartitionState> {
	const row = stateRow.parse((await client.query(sqlText('partition/state'))).rows[0]);
	return {partitioned: row.kind === 'p', rows: row.row_count, bound: row.bound, boundAdded: row.bound_added};
}

/** The steps, as --dry-run prints them: what each does and the lock it takes. */
export function partitionPlan(bound: Date, ahead: number): Array<{step: string; lock: string}> {
	const day = (n: number) => new Date(bound.getTime() + n * 86_400_000).toISOString().slice(0, 10);
	return [
		{step: `ADD CONSTRAINT performance_logs_legacy_bound CHECK (created_at < '${bound.toISOString()}') NOT VALID`, lock: 'ACCESS EXCLUSIVE, no scan (milliseconds)'},
		{step: 'VALIDATE CONSTRAINT performance_logs_legacy_bound (reads every row)', lock: 'SHARE UPDATE EXCLUSIVE: reads and writes go on'},
		{step: 'CREATE UNIQUE INDEX CONCURRENTLY performance_logs_legacy_id_created_at ON performance_logs (id, created_at)', lock: 'SHARE UPDATE EXCLUSIVE: reads and writes go on'},
		{
			step: `swap, one transaction: performance_logs becomes performance_logs_legacy, a new performance_logs PARTITION BY RANGE (created_at) with the same columns, defaults, checks, foreign keys, index names and PRIMARY KEY (id, created_at); ATTACH performance_logs_legacy FOR VALUES FROM (MINVALUE) TO ('${bound.toISOString()}'); a DEFAULT partition; daily partitions ${day(0)}${ahead > 1 ? ` to ${day(ahead - 1)}` : ''}; views re-created on the new table`,
			lock: 'ACCESS EXCLUSIVE on performance_logs, catalog work only (no row read or copied)',
		},
	];
}

export class PartitionLockError extends Error {
	constructor(timeoutMs: number) {
		super(`partition: could not lock performance_logs within ${timeoutMs} ms (a long transaction holds it); nothing was swapped, run it again`);
		this.name = 'PartitionLockError';
	}
}

/** Runs the conversion. Steps 1-3 are idempotent (a run cut short is resumed); the swap is all or nothing. */
export async function convertToPartitions(client: pg.ClientBase, options: {bound: Date; ahead: number; lockTimeoutMs: number}): Promise<{swapMs: number}> {
	await client.query(sqlText('partition/set_bound'), [options.bound.toISOString(), String(options.ahead)]);
	await client.query(sqlText('partition/add_bound'));
	await client.query(sqlText('partition/validate_bound'));
	const valid = z.array(z.object({valid: z.boolean()})).parse((await client.query(sqlText('partition/key_index_valid'))).rows);
	if (valid[0]?.valid === false) await client.query(sqlText('partition/drop_key_index'));
	await client.query(sqlText('partition/key_index'));
	const started = performance.now();
	await client.query(sqlText('connection/begin'));
	try {
		await client.query(sqlText('partition/lock_timeout'), [`${options.lockTimeoutMs}ms`]);
		await client.query(sqlText('partition/swap'));
		await client.query(sqlText('connection/commit'));
	} catch (error) {
		await client.query(sqlText('connection/rollback')).catch(() => {});
		if ((error as {code?: string}).code === '55P03') throw new PartitionLockError(options.lockTimeoutMs);
		throw error;
	}

	return {swapMs: Math.round(performance.now() - started)};
}

const sweepResult = z.object({
	partitioned: z.boolean(),
	cutoff: z.coerce.date().nullable().optional(),
	dropped: z.array(z.object({partition: z.string(), upperBound: z.coerce.date()})).optional(),
	created: z.array(z.string()).optional(),
	skipped: z.array(z.object({partition: z.string(), reason: z.string()})).optional(),
});
export type PartitionSweep = {partitioned: boolean; cutoff: Date | null; dropped: Array<{partition: string; upperBound: Date}>; created: string[]; skipped: Array<{partition: string; reason: string}>};

/** The sweep's partition step (sql/partition/sweep.sql), one transaction under a lock and statement
 * timeout of timeoutMs: drops the partitions of performance_logs entirely past the raw rows' cutoff and
 * creates the next `ahead` days' partitions. dryRun: what it would drop and create, without a DDL statement
 * (the monitor role may run it), and rolled back. Nothing
 * when performance_logs is not partitioned. The client must not be inside a transaction. */
export async function sweepPartitions(client: pg.ClientBase, options: {ahead: number; timeoutMs: number; dryRun: boolean}): Promise<PartitionSweep> {
	await client.query(sqlText('connection/begin'));
	try {
		await client.query(sqlText('retention/batch_limits'), [`${options.timeoutMs}ms`]);
		await client.query(sqlText('partition/set_ahead'), [String(options.ahead), String(options.dryRun)]);
		await client.query(sqlText('partition/sweep'));
		const row = sweepResult.parse(z.object({result: z.unknown()}).parse((await client.query(sqlText('partition/sweep_result'))).rows[0]).result);
		await client.query(sqlText(options.dryRun ? 'connection/rollback' : 'connection/commit'));
		return {partitioned: row.partitioned, cutoff: row.cutoff ?? null, dropped: row.dropped ?? [], created: row.created ?? [], skipped: row.skipped ?? []};
	} catch (error) {
		await client.query(sqlText('connection/rollback')).catch(() => {});
		throw error;
	}
}
