// handoff-top migrate: brings an existing handoff database to this version's
// schema. Lock, plan, back up, then one transaction per migration. A database
// that predates the tracking table is baselined, not re-created. --dry-run
// takes the same lock, makes the same plan and runs it the same way, in one
// transaction that it rolls back.
import path from 'node:path';
import type pg from 'pg';
import type {CommandInput} from '../cli.js';
import {backupDatabase, checkPgDump, serverVersion, type BackupMode} from '../db/backup.js';
import {connect, resolveConnection} from '../db/connection.js';
import {
	describeDryRunFailure,
	describeMigrationError,
	dryRunPlan,
	executePlan,
	lockForMigration,
	oneLine,
	planMigrations,
	type DryRun,
	type MigrationPlan,
	type PlanStep,
} from '../db/migrationPlan.js';
import {ChangedMigrationError, loadMigrations, releaseMigrationLock, type Migration} from '../db/migrations.js';
import {sqlText} from '../db/sqlText.js';
import {loadExpectedSchema, type ExpectedSchema} from '../db/validation/expected.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {inert} from '../text/inert.js';
import {noArguments, stringFlag} from './flagValues.js';
import {userFacingError} from './pgErrors.js';

const out = (line = '') => process.stdout.write(`${line}\n`);

function backupMode(flags: Record<string, unknown>): BackupMode | undefined {
	const value = flags['backup'];
	if (value === false) return undefined; // --no-backup
	if (value === undefined || value === '' || value === 'schema') return 'schema';
	if (value === 'full') return 'full';
	throw new CliError(`--backup must be 'schema' or 'full' (or --no-backup), got '${String(value)}'`, exitCodes.usage);
}

const typeOrder = ['table', 'view', 'column', 'index', 'constraint', 'trigger', 'function', 'notification'];
const plural: Record<string, string> = {index: 'indexes'};

/** 'tables: a, b' lines for what a step creates. The columns, keys and
 * indexes of a table created by the same step go without saying. */
export function describeObjects(keys: string[]): string[] {
	const created = new Set(
		keys.filter(key => key.startsWith('table:') || key.startsWith('view:')).map(key => key.slice(key.indexOf(':') + 1)),
	);
	const byType = new Map<string, string[]>();
	for (const key of keys) {
		const type = key.slice(0, key.indexOf(':'));
		const name = key.slice(key.indexOf(':') + 1);
		const owner = type === 'column' || type === 'constraint' ? name.slice(0, name.indexOf('.')) : undefined;
		if (owner !== undefined && created.has(owner)) continue;
		if (type === 'index' && [...created].some(table => name === `${table}_pkey`)) continue;
		const names = byType.get(type) ?? [];
		names.push(name.replace(/\(.+\)$/, '(…)'));
		byType.set(type, names);
	}

	return typeOrder
		.filter(type => byType.has(type))
		.map(type => {
			const names = byType.get(type)!;
			return `${names.length > 1 ? (plural[type] ?? `${type}s`) : type}: ${names.join(', ')}`;
		});
}

/** One step of the plan: its number, file and what it does, and the objects. */
function printStep(step: PlanStep, index: number, indent = '  '): void {
	const what =
		step.action === 'baseline'
			? `baseline (already in place: ${step.present.length} objects; recorded, not run)`
			: `apply: creates or changes ${step.creates.length} object${step.creates.length === 1 ? '' : 's'}${
					step.drops.length > 0 ? `, drops ${step.drops.length}` : ''
				}${step.present.length > 0 ? ` (${step.present.length} already in place)` : ''}`;
	out(`${indent}${index + 1}. ${step.migration.file}  ${what}`);
	if (step.action === 'apply') {
		for (const line of describeObjects(step.creates)) out(`${indent}     ${line}`);
		for (const line of describeObjects(step.drops)) out(`${indent}     drops ${line}`);
	}
}

/** The dry run's plan, step by step as it runs: each step, then how it went -
 * ok, would fail (where, and the server's message), stopped by the dry run's
 * own limit, or not reached. */
async function runDryRun(client: pg.ClientBase, plan: MigrationPlan, migrations: Migration[], indent = '  '): Promise<DryRun> {
	const index = new Map(plan.steps.map((step, i) => [step.migration.version, i]));
	const result = await dryRunPlan(client, plan, migrations, {
		onStart: step => printStep(step, index.get(step.migration.version)!, indent),
		onApplied(step, ms) {
			out(`${indent}     ${step.action === 'baseline' ? 'ok: recorded as baselined, not run' : `ok (${ms} ms)`}`);
		},
	});
	if (result.failed) {
		const {line, statement, serverMessage} = result.failed.detail;
		const verdict = result.stoppedBy ? `stopped by the dry run's ${result.stoppedBy}` : 'would fail';
		out(`${indent}     ${verdict}${line ? ` at line ${line}` : ''}: ${inert(serverMessage)}`);
		if (statement) out(`${indent}     statement: ${inert(oneLine(statement))}`);
		const failedAt = index.get(result.failed.migration.version)!;
		plan.steps.slice(failedAt + 1).forEach((step, i) => {
			printStep(step, failedAt + 1 + i, indent);
			out(`${indent}     not reached`);
		});
	}

	return result;
}

export async function run({args, flags}: CommandInput): Promise<number> {
	noArguments('migrate', args);
	const dsn = stringFlag(flags, 'dsn');
	const dryRun = flags['dryRun'] === true;
	const mode = backupMode(flags);
	const backupDir = stringFlag(flags, 'backupDir') ?? 'backups';
	const wait = flags['wait'] !== false;
	const migrations = loadMigrations();
	let expected: ExpectedSchema;
	try {
		expected = loadExpectedSchema();
	} catch (error) {
		throw new CliError(`cannot read sql/expected_schema.json: ${(error as Error).message.split('\n')[0]}`, exitCodes.failure);
	}

	const connection = resolveConnection({dsn, purpose: 'admin', component: '-migrate'});
	const client = await connect({dsn, purpose: 'admin', component: '-migrate'});
	try {
		return await migrate(client);
	} catch (error) {
		throw userFacingError(error, dryRun ? 'dry-running the migrations' : 'migrating');
	} finally {
		await client.end().catch(() => {});
	}

	async function migrate(client: pg.Client): Promise<number> {
		const server = await serverVersion(client);
		const database = (await client.query<{database: string}>(sqlText('migrate/current_database'))).rows[0]!.database;
		// The dry run takes the same lock as the real run: the two never interleave.
		await lockForMigration(client, {
			wait,
			onWaiting: holder => process.stderr.write(`handoff-top: waiting for another handoff-top migrate to finish (lock held by ${holder})...\n`),
		});
		try {
			const plan = await planMigrations(client, migrations, expected);
			// Refused before a backup is taken (executePlan would refuse too).
			if (plan.status.changed.length > 0) throw describeMigrationError(new ChangedMigrationError(plan.status.changed));
			return dryRun ? await rehearse(client, plan, server) : await apply(client, plan, server, database);
		} finally {
			await releaseMigrationLock(client).catch(() => {});
		}
	}

	async function rehearse(client: pg.Client, plan: MigrationPlan, server: {version: string; major: number}): Promise<number> {
		out(`dry run, nothing changed: ${connection.label} (PostgreSQL ${server.version})`);
		if (plan.steps.length === 0) {
			out(`up to date: ${plan.status.applied.length} migrations applied, nothing to do`);
			return exitCodes.ok;
		}

		const count = `${plan.steps.length} migration${plan.steps.length === 1 ? '' : 's'}`;
		out(`plan: ${count}, in this order, each in its own transaction; run now, all in one transaction that is then rolled back`);
		const result = await runDryRun(client, plan, migrations);
		if (mode) {
			let refusal = '';
			try {
				checkPgDump(server);
			} catch (error) {
				if (!(error instanceof CliError)) throw error;
				refusal = ` - migrate would stop here (exit ${error.exitCode}, before changing anything): ${error.message}`;
			}

			out(`backup first: pg_dump --${mode === 'full' ? 'format=custom (schema and data)' : 'schema-only'} into ${path.resolve(backupDir)}/${refusal}`);
		} else {
			out('no backup (--no-backup)');
		}

		const failure = describeDryRunFailure(result);
		if (failure) throw failure;
		out(`dry run ok: all ${count} ran and were rolled back, nothing changed`);
		return exitCodes.ok;
	}

	async function apply(client: pg.Client, plan: MigrationPlan, server: {version: string; major: number}, database: string): Promise<number> {
		if (plan.steps.length === 0) {
			out(`up to date: ${plan.status.applied.length} migrations applied, nothing to do (${connection.label})`);
			return exitCodes.ok;
		}

		const pgDump = mode ? checkPgDump(server) : undefined;
		out(`migrating ${connection.label} (PostgreSQL ${server.version}): ${plan.steps.length} migration${plan.steps.length === 1 ? '' : 's'}`);
		if (mode && pgDump) {
			const backup = await backupDatabase({connection, database, mode, dir: backupDir, pgDump});
			out(`backup: ${backup.file} (${mode === 'full' ? 'schema and data' : 'schema only'}, ${backup.bytes} bytes, pg_dump ${backup.pgDumpVersion})`);
		} else {
			out('backup: skipped (--no-backup)');
		}

		let applied = 0;
		let baselined = 0;
		await executePlan(client, plan, migrations, {
			onApplied(step, ms) {
				if (step.action === 'baseline') {
					baselined++;
					out(`  baselined ${step.migration.file} (already in place, recorded without running)`);
				} else {
					applied++;
					out(`  applied ${step.migration.file} (${ms} ms)`);
				}
			},
		});
		out(`done: ${applied} applied, ${baselined} baselined; existing rows untouched`);
		return exitCodes.ok;
	}
}
