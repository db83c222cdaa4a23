// Benchmark 6: removing one day of performance_logs rows past the retention,
// three ways, each on its own database loaded with the same rows (the
// handoff-top schema with the server's start-up DDL run on it, the state a
// real database is in): the sweep's batches (applyRetention, 5,000 rows a
// transaction, as `handoff-top sweep` runs them), one DELETE of all of them,
// and the sweep's partition step (sweepPartitions: DROP TABLE of the day's
// partition of a table `handoff-top partition` converted). Time and WAL
// (pg_current_wal_lsn() before and after, after a CHECKPOINT so each starts
// alike), and the table's size after. The rollups' watermark is set past the
// rows (the refresh is not what is measured), so the raw rows' cutoff is the
// 30-day period.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {convertToPartitions, sweepPartitions} from '../source/db/partition.js';
import {applyRetention} from '../source/db/retention.js';
import {createDatabase, dropDatabase, installSchema, withClient, type BenchServer} from './lib/server.js';

export type RetentionWay = 'batches' | 'delete' | 'drop';
export type RetentionRow = {way: RetentionWay; rows: number; removed: number; ms: number; walBytes: number; tableBytesBefore: number; tableBytesAfter: number; transactions: number};
export type RetentionResult = {expired: number; kept: number; batchRows: number; rowsPerDay: number; rows: RetentionRow[]; notes: string[]};

/** A day of performance_logs at 1,000 operations/s. */
export const rowsPerDay = 86_400_000;
const batchRows = 5000;

export async function runRetention(server: BenchServer, root: string, options: {expired: number}, log: (line: string) => void): Promise<RetentionResult> {
	const kept = Math.max(1000, Math.round(options.expired / 10));
	const data = readFileSync(path.join(root, 'bench', 'workloads', 'retention_data.sql'), 'utf8')
		.replaceAll('{{expired}}', String(options.expired))
		.replaceAll('{{kept}}', String(kept));
	const rows: RetentionRow[] = [];
	for (const way of ['batches', 'delete', 'drop'] as const) {
		const db = await createDatabase(server.adminUrl, `bench_retention_${way}`);
		try {
			await installSchema(db.url, 'handoff-top+server', root);
			rows.push(
				await withClient(db.url, async c => {
					if (way === 'drop') {
						// converted while empty, then the expired day and today get partitions of their own
						const bound = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 2 * 86_400_000);
						await convertToPartitions(c, 'performance_logs', {bound, ahead: 3, lockTimeoutMs: 10_000});
						await c.query(`ALTER TABLE performance_logs DETACH PARTITION performance_logs_legacy; DROP TABLE performance_logs_legacy`);
						await c.query(`DO $$ DECLARE d integer; day timestamptz; BEGIN
						    FOR d IN 0 .. 1 LOOP
						        day := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + make_interval(days => d);
						        EXECUTE format('CREATE TABLE %I PARTITION OF performance_logs FOR VALUES FROM (%L) TO (%L)', 'performance_logs_p' || to_char(day AT TIME ZONE 'UTC', 'YYYYMMDD'), day, day + interval '1 day');
						    END LOOP;
						    day := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '40 days';
						    EXECUTE format('CREATE TABLE %I PARTITION OF performance_logs FOR VALUES FROM (%L) TO (%L)', 'performance_logs_p' || to_char(day AT TIME ZONE 'UTC', 'YYYYMMDD'), day, day + interval '1 day');
						END $$`);
					}

					log(`retention: loading ${options.expired.toLocaleString('en-US')} + ${kept.toLocaleString('en-US')} rows (${way})`);
					await c.query(data);
					await c.query(`UPDATE performance_rollup_state SET rolled_up_to = now() WHERE id = 1`);
					await c.query('VACUUM ANALYZE performance_logs');
					const size = async () =>
						Number(
							(
								await c.query(
									`SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('performance_logs')), pg_total_relation_size('performance_logs'))::bigint AS b`,
								)
							).rows[0].b,
						);
					const tableBytesBefore = await size();
					await c.query('CHECKPOINT');
					const lsn = async () => (await c.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l as string;
					const from = await lsn();
					const started = performance.now();
					let removed = 0;
					let transactions = 1;
					if (way === 'batches') {
						const done = await applyRetention(c, {batchRows, batchTimeoutMs: 600_000});
						removed = done.tables.filter(t => t.table === 'performance_logs').reduce((sum, t) => sum + t.removed, 0);
						transactions = done.batches;
					} else if (way === 'delete') {
						removed = (await c.query(`DELETE FROM performance_logs WHERE created_at < now() - interval '30 days'`)).rowCount ?? 0;
					} else {
						const done = await sweepPartitions(c, {ahead: 3, timeoutMs: 600_000, dryRun: false});
						const dropped = done.find(t => t.table === 'performance_logs')?.dropped ?? [];
						if (dropped.length !== 1) throw new Error(`the partition step dropped ${dropped.length} partitions, not 1`);
						removed = options.expired;
					}

					const ms = performance.now() - started;
					const walBytes = Number((await c.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS b`, [from])).rows[0].b);
					const left = Number((await c.query(`SELECT count(*)::bigint AS n FROM performance_logs`)).rows[0].n);
					if (removed !== options.expired || left !== kept) throw new Error(`${way}: removed ${removed}, ${left} left (expected ${options.expired}, ${kept})`);
					const row: RetentionRow = {way, rows: options.expired, removed, ms, walBytes, tableBytesBefore, tableBytesAfter: await size(), transactions};
					log(`retention: ${way} removed ${removed} rows in ${ms.toFixed(0)} ms, ${(walBytes / 1e6).toFixed(1)} MB of WAL`);
					return row;
				}),
			);
		} finally {
			await dropDatabase(server.adminUrl, db.name);
		}
	}

	const notes = [
		'WAL counts everything the server wrote between the two pg_current_wal_lsn() reads (the server runs nothing else meanwhile); each way starts right after a CHECKPOINT, so the first change to each page writes a full-page image, as the first change after a checkpoint does in production.',
		"The DELETEs leave dead rows and the table's size as it was: autovacuum's work to reclaim them (more reads and WAL) comes after and is not counted; the dropped partition's files are gone at commit.",
		'The sweep also creates the next days\' partitions in the same transaction (here all exist already).',
	];
	return {expired: options.expired, kept, batchRows, rowsPerDay, rows, notes};
}
