// handoff-top partition [performance_logs] [system_metrics]: converts each
// table named (default both) to range partitioning by its time column,
// daily partitions (source/db/partition.ts). The sweep then drops whole
// expired partitions and creates the next ones. --dry-run prints the plan
// (the steps and their locks) and changes nothing.
import type {CommandInput} from '../cli.js';
import {connect} from '../db/connection.js';
import {convertToPartitions, partitionPlan, partitionState, partitionTables, PartitionLockError, type PartitionTable} from '../db/partition.js';
import {requireCurrentSchema} from '../db/schemaState.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {positiveIntegerFlag, stringFlag} from './flagValues.js';
import {userFacingError} from './pgErrors.js';

export const partitionable = Object.keys(partitionTables) as PartitionTable[];
/** The swap waits this long at most for its lock; writers queue behind it meanwhile. */
export const swapLockTimeoutMs = 3000;

function tablesAsked(args: string[]): PartitionTable[] {
	const unknown = args.filter(arg => !(partitionable as string[]).includes(arg));
	if (unknown.length > 0) throw new CliError(`partition: only ${partitionable.join(' and ')} can be partitioned (got '${unknown.join(' ')}')`, exitCodes.usage);
	return args.length === 0 ? partitionable : partitionable.filter(table => args.includes(table));
}

export async function run({args, flags}: CommandInput): Promise<number> {
	const tables = tablesAsked(args);
	const ahead = positiveIntegerFlag(flags, 'ahead', '--ahead') ?? 3;
	const dryRun = flags['dryRun'] === true;
	const json = flags['json'] === true;
	const client = await connect({dsn: stringFlag(flags, 'dsn'), purpose: 'admin', component: '-partition'});
	const documents: Array<Record<string, unknown>> = [];
	const lines: string[] = [];
	// what was done before a failure is said before the error
	const flush = () => {
		if (json) process.stdout.write(`${JSON.stringify({dryRun, tables: documents}, null, 2)}\n`);
		else if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
	};

	try {
		await requireCurrentSchema(client);
		for (const table of tables) {
			const column = partitionTables[table];
			const state = await partitionState(client, table);
			if (state.partitioned) {
				documents.push({table, column, alreadyPartitioned: true, rows: state.rows});
				lines.push(`partition: ${table} is already partitioned by ${column}; nothing to do`);
				continue;
			}

			const plan = partitionPlan(table, state.bound, ahead);
			if (dryRun) {
				documents.push({table, column, alreadyPartitioned: false, rows: state.rows, bound: state.bound, ahead, plan});
				lines.push(
					`partition dry run (nothing changed): ${table}, ${state.rows.toLocaleString('en-US')} rows, by ${column}, daily partitions (UTC)`,
					...plan.map((p, i) => `  ${i + 1}. ${p.step}\n     lock: ${p.lock}`),
					`  the swap waits at most ${swapLockTimeoutMs} ms for its lock`,
				);
				continue;
			}

			const {swapMs} = await convertToPartitions(client, table, {bound: state.bound, ahead, lockTimeoutMs: swapLockTimeoutMs});
			documents.push({table, column, alreadyPartitioned: false, rows: state.rows, bound: state.bound, ahead, swapMs});
			lines.push(
				`partition: ${table} is partitioned by ${column}: its ${state.rows.toLocaleString('en-US')} rows are the partition ${table}_legacy (to ${state.bound.toISOString()}), ${ahead} daily partitions ahead and a default one; ACCESS EXCLUSIVE held ${swapMs} ms (the swap)`,
			);
		}

		flush();
		return exitCodes.ok;
	} catch (error) {
		if (!json) flush();
		if (error instanceof PartitionLockError) throw new CliError(error.message, exitCodes.failure);
		throw userFacingError(error, dryRun ? 'planning the partitioning' : 'partitioning');
	} finally {
		await client.end().catch(() => {});
	}
}
