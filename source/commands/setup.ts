// handoff-top setup: a new installation. Creates the database when missing
// (through the 'postgres' maintenance database), applies every migration,
// and with --create-monitor-role makes the monitor's least-privilege role.
// Running it again changes nothing and says so.
import pg from 'pg';
import type {CommandInput} from '../cli.js';
import {connect, describeConnectionError, resolveConnection} from '../db/connection.js';
import {executePlan, lockForMigration, planMigrations} from '../db/migrationPlan.js';
import {loadMigrations, releaseMigrationLock} from '../db/migrations.js';
import {ensureMonitorRole, render} from '../db/monitorRole.js';
import {sqlText} from '../db/sqlText.js';
import {currentSchema} from '../db/validation/catalog.js';
import {loadExpectedSchema} from '../db/validation/expected.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {noArguments, stringFlag} from './flagValues.js';
import {userFacingError} from './pgErrors.js';

const out = (line = '') => process.stdout.write(`${line}\n`);

function targetDatabase(config: pg.ClientConfig): string | undefined {
	if (config.connectionString) return decodeURIComponent(new URL(config.connectionString).pathname.slice(1)) || undefined;
	return config.database;
}

/** Connects to the target database, creating it first when it is missing. */
async function connectCreating(dsn: string | undefined): Promise<{client: pg.Client; created: string | undefined}> {
	const resolved = resolveConnection({dsn, purpose: 'admin', component: '-setup'});
	const database = targetDatabase(resolved.config);
	const client = new pg.Client(resolved.config);
	client.on('error', () => {});
	try {
		await client.connect();
		return {client, created: undefined};
	} catch (error) {
		await client.end().catch(() => {});
		if ((error as {code?: string}).code !== '3D000' || !database) throw describeConnectionError(error, resolved.label);
	}

	const maintenance = await connect({dsn, purpose: 'admin', component: '-setup', database: 'postgres'});
	try {
		const {rows} = await maintenance.query<{exists: boolean}>(sqlText('setup/database_exists'), [database]);
		if (!rows[0]?.exists) {
			await maintenance.query(render(sqlText('setup/create_database'), {database: maintenance.escapeIdentifier(database)}));
		}
	} catch (error) {
		const e = error as {code?: string; message?: string};
		if (e.code === '42501') {
			throw new CliError(`cannot create database ${database}: permission denied (the role needs CREATEDB, or ask a DBA to create it)`, exitCodes.privilege);
		}

		if (e.code !== '42P04') throw error; // 42P04: created meanwhile by another setup
	} finally {
		await maintenance.end().catch(() => {});
	}

	return {client: await connect({dsn, purpose: 'admin', component: '-setup'}), created: database};
}

export async function run({args, flags}: CommandInput): Promise<number> {
	noArguments('setup', args);
	const dsn = stringFlag(flags, 'dsn');
	const roleName = stringFlag(flags, 'createMonitorRole');
	const password = stringFlag(flags, 'monitorPassword') ?? process.env['HANDOFF_TOP_MONITOR_PASSWORD'];
	if (flags['createMonitorRole'] !== undefined && !roleName) {
		throw new CliError('--create-monitor-role needs a role name', exitCodes.usage);
	}

	if (password !== undefined && !roleName) throw new CliError('--monitor-password goes with --create-monitor-role NAME', exitCodes.usage);
	const migrations = loadMigrations();
	const expected = loadExpectedSchema();
	const {label} = resolveConnection({dsn, purpose: 'admin', component: '-setup'});
	const {client, created} = await connectCreating(dsn);
	const changes: string[] = [];
	try {
		if (created) changes.push(`created database ${created}`);
		await lockForMigration(client, {
			wait: true,
			onWaiting: holder => process.stderr.write(`handoff-top: waiting for another setup or migrate to finish (lock held by ${holder})...\n`),
		});
		let applied = 0;
		try {
			const plan = await planMigrations(client, migrations, expected);
			await executePlan(client, plan, migrations, {
				onApplied(step, ms) {
					applied++;
					changes.push(
						step.action === 'baseline'
							? `baselined ${step.migration.file} (already in place)`
							: `applied ${step.migration.file} (${ms} ms)`,
					);
				},
			});
		} finally {
			await releaseMigrationLock(client).catch(() => {});
		}

		let roleNote = '';
		if (roleName) {
			const database = (await client.query<{database: string}>(sqlText('migrate/current_database'))).rows[0]!.database;
			const role = await ensureMonitorRole(client, {role: roleName, password, database, schema: await currentSchema(client)});
			if (role.changes.length > 0) changes.push(`monitor role ${role.role}: ${role.changes.join('; ')}`);
			else roleNote = `, monitor role ${role.role} already set up`;
		}

		if (changes.length === 0) {
			out(`nothing to do: ${label} exists and its schema is up to date (${migrations.length} migrations)${roleNote}`);
		} else {
			out(`set up ${label}:`);
			for (const change of changes) out(`  ${change}`);
			if (applied === 0 && !created) out(`  schema was already up to date (${migrations.length} migrations)${roleNote}`);
		}

		return exitCodes.ok;
	} catch (error) {
		throw userFacingError(error, 'setting up the database');
	} finally {
		await client.end().catch(() => {});
	}
}
