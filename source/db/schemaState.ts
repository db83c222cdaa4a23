// For commands that need the handoff schema (sweep, the monitor): is it there
// and current? If not, a one-line error that names the command that fixes it.
import type pg from 'pg';
import {z} from 'zod';
import {CliError, exitCodes} from '../exitCodes.js';
import {loadMigrations, readMigrationStatus, type Migration} from './migrations.js';
import {sqlText} from './sqlText.js';

const objectsRow = z.object({sessions: z.boolean(), sweep: z.boolean()});

export async function requireCurrentSchema(client: pg.ClientBase, migrations: Migration[] = loadMigrations()): Promise<void> {
	const objects = objectsRow.parse((await client.query(sqlText('schema_state/handoff_objects'))).rows[0]);
	let status;
	try {
		status = await readMigrationStatus(client, migrations);
	} catch (error) {
		if ((error as {code?: string}).code === '42501') {
			throw new CliError(
				'permission denied: this role may not read the migration history (needs SELECT on handoff_top_migrations)',
				exitCodes.privilege,
			);
		}

		throw error;
	}

	if (!status.trackingTable) {
		if (!objects.sessions) {
			throw new CliError('no handoff schema in this database: run `handoff-top setup` (new installation)', exitCodes.schemaMissing);
		}

		throw new CliError(
			objects.sweep
				? 'the handoff schema has no migration history: run `handoff-top migrate` (it records what is in place)'
				: 'the handoff schema predates this handoff-top: run `handoff-top migrate`',
			exitCodes.schemaMissing,
		);
	}

	if (status.pending.length > 0) {
		throw new CliError(
			`the handoff schema is older than this handoff-top (not applied: ${status.pending
				.map(m => m.file)
				.join(', ')}): run \`handoff-top migrate\``,
			exitCodes.schemaMissing,
		);
	}
}
