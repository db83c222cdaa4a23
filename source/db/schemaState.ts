// Is the handoff schema there and current? One classifier for every command:
// the monitor (its Schema screen), snapshot, tail, sweep and simulate all say
// the same thing in the same words, with the command that fixes it.
import type pg from 'pg';
import {z} from 'zod';
import {CliError, exitCodes} from '../exitCodes.js';
import {loadMigrations, readMigrationStatus, type Migration} from './migrations.js';
import {sqlText} from './sqlText.js';

export type SchemaState = {
	/** missing: no handoff schema, or a handoff server's tables without handoff-top's (no migration history);
	 * outdated: migrations pending; changed: an applied file was edited since; newer: a newer handoff-top
	 * applied migrations this one does not know; current: up to date. */
	state: 'missing' | 'outdated' | 'changed' | 'newer' | 'current';
	/** One line for people, naming the command that fixes it. */
	summary: string;
	applied: number;
	shipped: number;
	pending: string[];
	changed: string[];
	unknown: string[];
};

const objectsRow = z.object({sessions: z.boolean(), sweep: z.boolean()});

function permissionDenied(error: unknown): never {
	if ((error as {code?: string}).code === '42501') {
		throw new CliError('permission denied: this role may not read the migration history (needs SELECT on handoff_top_migrations)', exitCodes.privilege);
	}

	throw error;
}

export async function classifySchema(client: pg.ClientBase, migrations: Migration[] = loadMigrations()): Promise<SchemaState> {
	const status = await readMigrationStatus(client, migrations).catch(permissionDenied);
	const base = {
		applied: status.applied.length,
		shipped: migrations.length,
		pending: status.pending.map(m => m.file),
		changed: status.changed.map(c => c.migration.file),
		unknown: status.unknown.map(u => `${String(u.version).padStart(3, '0')}_${u.name}`),
	};
	if (!status.trackingTable || status.applied.length === 0) {
		const objects = objectsRow.parse((await client.query(sqlText('schema_state/handoff_objects'))).rows[0]);
		if (!objects.sessions) {
			return {...base, state: 'missing', summary: 'no handoff schema in this database: run `handoff-top setup` (new installation; `handoff-top migrate` for an existing handoff database)'};
		}

		return {
			...base,
			state: 'missing',
			summary: objects.sweep
				? 'the handoff schema has no migration history: run `handoff-top migrate` (it records what is in place)'
				: "a handoff server's database without handoff-top's schema yet: run `handoff-top migrate` (rows stay as they are)",
		};
	}

	if (base.changed.length > 0) {
		return {...base, state: 'changed', summary: `applied migration changed since: ${base.changed.join(', ')} (restore the file; \`handoff-top validate\` shows it)`};
	}

	if (base.pending.length > 0) {
		return {...base, state: 'outdated', summary: `the handoff schema is older than this handoff-top (not applied: ${base.pending.join(', ')}): run \`handoff-top migrate\``};
	}

	if (base.unknown.length > 0) {
		return {...base, state: 'newer', summary: `schema is newer than this handoff-top (${base.unknown.join(', ')}): upgrade handoff-top`};
	}

	return {...base, state: 'current', summary: `schema up to date (${base.applied} migrations)`};
}

/** For commands that need the schema current (sweep, simulate): a one-line error (exit 6) when it is not. */
export async function requireCurrentSchema(client: pg.ClientBase, migrations: Migration[] = loadMigrations()): Promise<SchemaState> {
	const schema = await classifySchema(client, migrations);
	if (schema.state === 'current' || schema.state === 'newer') return schema;
	throw new CliError(schema.summary, exitCodes.schemaMissing);
}
