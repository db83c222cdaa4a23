// handoff-top migrate: brings an existing handoff database to this version's
// schema. Lock, plan, back up, then one transaction per migration. A database
// that predates the tracking table is baselined, not re-created.
import path from 'node:path';
import type pg from 'pg';
import type {CommandInput} from '../cli.js';
import {backupDatabase, checkPgDump, serverVersion, type BackupMode} from '../db/backup.js';
import {connect, resolveConnection} from '../db/connection.js';
import {describeMigrationError, executePlan, lockForMigration, planMigrations, type MigrationPlan} from '../db/migrationPlan.js';
import {ChangedMigrationError, loadMigrations, releaseMigrationLock} from '../db/migrations.js';
import {sqlText} from '../db/sqlText.js';
import {loadExpectedSchema, type ExpectedSchema} from '../db/validation/expected.js';
import {CliError, exitCodes} from '../exitCodes.js';
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

export function printPlan(plan: MigrationPlan, indent = '  '): void {
	plan.steps.forEach((step, index) => {
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
	});
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
		throw userFacingError(error, dryRun ? 'planning the migration' : 'migrating');
	} finally {
		await client.end().catch(() => {});
	}

	async function migrate(client: pg.Client): Promise<number> {
		const server = await serverVersion(client);
		const database = (await client.query<{database: string}>(sqlText('migrate/current_database'))).rows[0]!.database;
		if (dryRun) {
			await client.query(sqlText('migrate/begin_read_only'));
			let plan: MigrationPlan;
			try {
				plan = await planMigrations(client, migrations, expected);
			} finally {
				await client.query(sqlText('migrate/rollback'));
			}

			if (plan.status.changed.length > 0) throw describeMigrationError(new ChangedMigrationError(plan.status.changed));
			out(`dry run, nothing changed: ${connection.label} (PostgreSQL ${server.version})`);

			if (plan.steps.length === 0) {
				out(`up to date: ${plan.status.applied.length} migrations applied, nothing to do`);
				return exitCodes.ok;
			}

			out(`plan: ${plan.steps.length} migration${plan.steps.length === 1 ? '' : 's'}, in this order, each in its own transaction`);
			printPlan(plan);
			out(
				mode
					? `backup first: pg_dump --${mode === 'full' ? 'format=custom (schema and data)' : 'schema-only'} into ${path.resolve(backupDir)}/`
					: 'no backup (--no-backup)',
			);
			return exitCodes.ok;
		}

		await lockForMigration(client, {
			wait,
			onWaiting: holder => process.stderr.write(`handoff-top: waiting for another handoff-top migrate to finish (lock held by ${holder})...\n`),
		});
		try {
			const plan = await planMigrations(client, migrations, expected);
			// Refused before a backup is taken (executePlan would refuse too).
			if (plan.status.changed.length > 0) throw describeMigrationError(new ChangedMigrationError(plan.status.changed));

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
		} finally {
			await releaseMigrationLock(client).catch(() => {});
		}
	}
}
