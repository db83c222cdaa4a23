// handoff-top validate: the live database against the schema this version
// expects. Exit 0 when it matches, 4 on drift, 5 when the check could not be
// completed. Runs read-only; works as the least-privilege monitor role.
import type {CommandInput} from '../cli.js';
import {connect} from '../db/connection.js';
import {loadMigrations} from '../db/migrations.js';
import type {Difference} from '../db/validation/diff.js';
import {loadExpectedSchema, type ExpectedSchema} from '../db/validation/expected.js';
import {validateDatabase, type ValidationResult} from '../db/validation/validate.js';
import {formatReport} from '../db/validation/report.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {inertLines} from '../text/inert.js';
import {noArguments, stringFlag} from './flagValues.js';

export async function run({args, flags}: CommandInput): Promise<number> {
	noArguments('validate', args);
	const dsn = stringFlag(flags, 'dsn');
	let expected: ExpectedSchema;
	try {
		expected = loadExpectedSchema();
	} catch (error) {
		throw new CliError(`could not check: cannot read sql/expected_schema.json: ${(error as Error).message.split('\n')[0]}`, exitCodes.couldNotCheck);
	}

	let migrations;
	try {
		migrations = loadMigrations();
	} catch (error) {
		throw new CliError(`could not check: cannot read the migration files: ${(error as Error).message.split('\n')[0]}`, exitCodes.couldNotCheck);
	}

	const client = await connect({dsn, purpose: 'monitor', component: '-validate', statementTimeoutMs: 30_000});
	let result: ValidationResult;
	try {
		result = await validateDatabase(client, {migrations, expected});
	} catch (error) {
		const e = error as {code?: string; message?: string};
		if (e.code === '42501') throw new CliError(`could not check: permission denied: ${e.message}`, exitCodes.privilege);
		throw new CliError(`could not check: ${e.message?.split('\n')[0] ?? String(error)}`, exitCodes.couldNotCheck);
	} finally {
		await client.end().catch(() => {});
	}

	if (flags['json'] === true) {
		const count = (severity: Difference['severity']) => result.differences.filter(d => d.severity === severity).length;
		process.stdout.write(
			`${JSON.stringify({...result, summary: {errors: count('error'), warnings: count('warning'), info: count('info')}}, null, 2)}\n`,
		);
	} else {
		process.stdout.write(inertLines(formatReport(result))); // names and definitions come from the catalog: inert text
	}

	return result.ok ? exitCodes.ok : exitCodes.drift;
}
