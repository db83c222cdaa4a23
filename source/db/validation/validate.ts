// validate as a function: the live catalog and migration history against the
// expected schema, as typed differences. No output, no exit codes.
import type pg from 'pg';
import {loadMigrations, readMigrationStatus, type Migration} from '../migrations.js';
import {sqlText} from '../sqlText.js';
import {inspectSchema} from './catalog.js';
import {diffHistory, diffSchemas, isDrift, sortDifferences, type Difference} from './diff.js';
import {loadExpectedSchema, type ExpectedSchema} from './expected.js';
import {classifyHandoffServer} from './handoffServer.js';
import {classifyPartitioned} from './partitioned.js';

export type ValidationResult = {
	ok: boolean;
	database: string;
	schema: string;
	serverVersion: string;
	checked: {objects: number; migrations: number};
	differences: Difference[];
};

export async function validateDatabase(
	client: pg.ClientBase,
	options: {migrations?: Migration[]; expected?: ExpectedSchema} = {},
): Promise<ValidationResult> {
	const migrations = options.migrations ?? loadMigrations();
	const expected = options.expected ?? loadExpectedSchema();
	const {rows} = await client.query<{database: string; schema: string; server_version: string}>(
		sqlText('validate/identity'),
	);
	const actual = await inspectSchema(client);
	const status = await readMigrationStatus(client, migrations);
	const differences = sortDifferences(classifyPartitioned(classifyHandoffServer([...diffHistory(status, migrations, expected), ...diffSchemas(expected.objects, actual)])));
	return {
		ok: !isDrift(differences),
		database: rows[0]!.database,
		schema: rows[0]!.schema,
		serverVersion: rows[0]!.server_version,
		checked: {objects: Object.keys(expected.objects).length, migrations: migrations.length},
		differences,
	};
}
