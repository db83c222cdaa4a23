// handoff-top partition [performance_logs]: converts performance_logs to range
// partitioning by created_at, daily partitions (source/db/partition.ts). The
// sweep then drops whole expired partitions and creates the next ones.
// --dry-run prints the plan (the steps and their locks) and changes nothing.
import type {CommandInput} from '../cli.js';
import {connect} from '../db/connection.js';
import {convertToPartitions, partitionPlan, partitionState, PartitionLockError} from '../db/partition.js';
import {requireCurrentSchema} from '../db/schemaState.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {positiveIntegerFlag, stringFlag} from './flagValues.js';
import {userFacingError} from './pgErrors.js';

export const partitionable = ['performance_logs'] as const;
/** The swap waits this long at most for its lock; writers queue behind it meanwhile. */
export const swapLockTimeoutMs = 3000;

export async function run({args, flags}: CommandInput): Promise<number> {
	if (args.length > 1) throw new CliError(`partition takes one table (got '${args.join(' ')}')`, exitCodes.usage);
	const table = args[0] ?? 'performance_logs';
	if (!(partitionable as readonly string[]).includes(table)) {
		throw new CliError(`partition: only ${partitionable.join(', ')} can be partitioned (got '${table}')`, exitCodes.usage);
	}

	const ahead = positiveIntegerFlag(flags, 'ahead', '--ahead') ?? 3;
	const dryRun = flags['dryRun'] === true;
	const json = flags['json'] === true;
	const client = await connect({dsn: stringFlag(flags, 'dsn'), purpose: 'admin', component: '-partition'});
	try {
		await requireCurrentSchema(client);
		const state = await partitionState(client);
		const plan = partitionPlan(state.bound, ahead);
		if (state.partitioned) {
			write(json, {table, dryRun, alreadyPartitioned: true, rows: state.rows}, `partition: ${table} is already partitioned by created_at; nothing to do`);
			return exitCodes.ok;
		}

		if (dryRun) {
			write(
				json,
				{table, dryRun, alreadyPartitioned: false, rows: state.rows, bound: state.bound, ahead, plan},
				[
					`partition dry run (nothing changed): ${table}, ${state.rows.toLocaleString('en-US')} rows, by created_at, daily partitions (UTC)`,
					...plan.map((p, i) => `  ${i + 1}. ${p.step}\n     lock: ${p.lock}`),
					`  the swap waits at most ${swapLockTimeoutMs} ms for its lock`,
				].join('\n'),
			);
			return exitCodes.ok;
		}

		const {swapMs} = await convertToPartitions(client, {bound: state.bound, ahead, lockTimeoutMs: swapLockTimeoutMs});
		write(
			json,
			{table, dryRun, alreadyPartitioned: false, rows: state.rows, bound: state.bound, ahead, swapMs},
			`partition: ${table} is partitioned by created_at: its ${state.rows.toLocaleString('en-US')} rows are the partition performance_logs_legacy (to ${state.bound.toISOString()}), ${ahead} daily partitions ahead and a default one; ACCESS EXCLUSIVE held ${swapMs} ms (the swap)`,
		);
		return exitCodes.ok;
	} catch (error) {
		if (error instanceof PartitionLockError) throw new CliError(error.message, exitCodes.failure);
		throw userFacingError(error, dryRun ? 'planning the partitioning' : 'partitioning');
	} finally {
		await client.end().catch(() => {});
	}
}

function write(json: boolean, value: Record<string, unknown>, text: string): void {
	process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}
