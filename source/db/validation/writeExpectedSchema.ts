// `npm run schema:generate` (through scripts/expected-schema.js): applies the
// bundled migrations to an empty database on a throw-away embedded server and
// writes sql/expected_schema.json.
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {startEmbeddedServer} from '../../embedded/embeddedServer.js';
import {packageRoot} from '../../paths.js';
import {loadMigrations} from '../migrations.js';
import {expectedSchemaFile, generateExpectedSchema, serialiseExpectedSchema} from './expected.js';

export async function writeExpectedSchema(file = expectedSchemaFile()): Promise<string> {
	const server = await startEmbeddedServer({settings: {fsync: 'off'}});
	try {
		const client = new pg.Client({connectionString: server.url});
		await client.connect();
		try {
			const migrations = loadMigrations(path.join(packageRoot(), 'sql', 'migrations'));
			const schema = await generateExpectedSchema(client, migrations);
			writeFileSync(file, serialiseExpectedSchema(schema));
		} finally {
			await client.end();
		}
	} finally {
		await server.stop();
	}

	return file;
}
