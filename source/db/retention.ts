// Log retention (sql/migrations/013_log_retention.sql): what the sweep
// removes from performance_logs, system_metrics, the latency rollups,
// analytics_aggregations and the purge audit, in bounded batches.
//   planRetention(client, {afterRefresh, cap}) → RetentionPlanRow[]   (read-only; the dry run, the Storage panel)
//   applyRetention(client, {batchRows, batchTimeoutMs}) → RetentionResult  (each batch its own transaction)
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from './sqlText.js';

const planRow = z
	.object({
		name: z.string(),
		table_name: z.string(),
		keep_for: z.string().nullable(),
		cutoff: z.date().nullable(),
		held_by_rollups: z.boolean(),
		readable: z.boolean(),
		rows_due: z.coerce.number().nullable(),
		capped: z.boolean(),
	})
	.transform(row => ({
		name: row.name,
		table: row.table_name,
		keepFor: row.keep_for,
		/** Rows older than this go; null: kept for ever (keepFor null), or none yet: nothing is rolled up (heldByRollups). */
		cutoff: row.cutoff,
		/** The cutoff is the rollups' watermark, not the period (raw rows not rolled up yet are kept). */
		heldByRollups: row.held_by_rollups,
		readable: row.readable,
		/** Rows past the cutoff (at most the cap); null when the table cannot be read. */
		rowsDue: row.rows_due,
		capped: row.capped,
	}));
export type RetentionPlanRow = z.output<typeof planRow>;

/** The periods' cutoffs and the rows due now. afterRefresh: as the sweep sees them after its rollup refresh. */
export async function planRetention(client: pg.ClientBase, options: {afterRefresh: boolean; cap?: number}): Promise<RetentionPlanRow[]> {
	const {rows} = await client.query(sqlText('retention/plan'), [options.afterRefresh, options.cap ?? 1_000_000]);
	return rows.map(row => planRow.parse(row));
}

const periodRow = z.object({name: z.string(), keep_for: z.string().nullable()});
const batchRow = z.object({table_name: z.string(), removed: z.coerce.number(), cutoff: z.date().nullable()});

export type RetentionResult = {
	batchRows: number;
	batchTimeoutMs: number;
	/** Transactions that removed rows (or found none left). */
	batches: number;
	/** Batches cancelled at the time limit and retried with half the rows. */
	retriedSmaller: number;
	tables: Array<{name: string; table: string; keepFor: string | null; cutoff: Date | null; removed: number}>;
};

export class RetentionBatchError extends Error {
	constructor(name: string, rows: number, timeoutMs: number) {
		super(`log retention: a batch of ${rows} ${name} rows did not finish within ${timeoutMs} ms; the rows it had removed were kept`);
		this.name = 'RetentionBatchError';
	}
}

const smallestBatch = 100;

/** Removes every row past its period, in batches of at most batchRows rows per table (until one removes
 * none), each in a
 * transaction of its own under a statement and lock timeout of batchTimeoutMs: a writer waits on the
 * sweep for at most that long. A batch that hits the limit is rolled back and retried with half the
 * rows (down to 100, then the sweep fails). The client must not be inside a transaction. */
export async function applyRetention(
	client: pg.ClientBase,
	options: {batchRows: number; batchTimeoutMs: number; onBatch?: (name: string, removed: number) => void},
): Promise<RetentionResult> {
	const periods = (await client.query(sqlText('retention/periods'))).rows.map(row => periodRow.parse(row));
	const result: RetentionResult = {batchRows: options.batchRows, batchTimeoutMs: options.batchTimeoutMs, batches: 0, retriedSmaller: 0, tables: []};
	for (const period of periods) {
		const totals = new Map<string, {cutoff: Date | null; removed: number}>();
		let rows = options.batchRows;
		for (;;) {
			let batch: Array<z.infer<typeof batchRow>>;
			await client.query(sqlText('connection/begin'));
			try {
				await client.query(sqlText('retention/batch_limits'), [`${options.batchTimeoutMs}ms`]);
				batch = (await client.query(sqlText('retention/batch'), [period.name, rows])).rows.map(row => batchRow.parse(row));
				await client.query(sqlText('connection/commit'));
			} catch (error) {
				await client.query(sqlText('connection/rollback')).catch(() => {});
				const code = (error as {code?: string}).code;
				if (code === '57014' || code === '55P03') {
					if (rows <= smallestBatch) throw new RetentionBatchError(period.name, rows, options.batchTimeoutMs);
					rows = Math.max(smallestBatch, Math.floor(rows / 2));
					result.retriedSmaller++;
					continue;
				}

				throw error;
			}

			result.batches++;
			for (const row of batch) {
				const total = totals.get(row.table_name) ?? {cutoff: row.cutoff, removed: 0};
				total.removed += row.removed;
				total.cutoff = row.cutoff;
				totals.set(row.table_name, total);
			}

			const removed = batch.reduce((sum, row) => sum + row.removed, 0);
			options.onBatch?.(period.name, removed);
			// Until a batch finds nothing: one can fall short of `rows` and still leave rows behind (a row a
			// writer updated while the batch claimed it is removed by the next one).
			if (removed === 0) break;
		}

		for (const [table, total] of totals) result.tables.push({name: period.name, table, keepFor: period.keep_for, ...total});
	}

	return result;
}
