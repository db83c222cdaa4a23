// Is the handoff schema present and current? The monitor opens on the Schema
// screen unless state is 'current'.
//   schemaState(client) → SchemaState
import type pg from 'pg';
import {loadMigrations, readMigrationStatus} from '../db/migrations.js';

export type SchemaState = {
	/** missing: no handoff schema; outdated: migrations pending; changed: an applied file was edited since;
	 * newer: a newer handoff-top applied migrations this one does not know; current: up to date. */
	state: 'missing' | 'outdated' | 'changed' | 'newer' | 'current';
	/** One line for people. */
	summary: string;
	applied: number;
	shipped: number;
	pending: string[];
	changed: string[];
	unknown: string[];
};

export async function schemaState(client: pg.ClientBase): Promise<SchemaState> {
	const migrations = loadMigrations();
	const status = await readMigrationStatus(client, migrations);
	const base = {
		applied: status.applied.length,
		shipped: migrations.length,
		pending: status.pending.map(m => m.file),
		changed: status.changed.map(c => c.migration.file),
		unknown: status.unknown.map(u => `${String(u.version).padStart(3, '0')}_${u.name}`),
	};
	if (!status.trackingTable || status.applied.length === 0) {
		return {...base, state: 'missing', summary: 'no handoff schema in this database (handoff-top migrate installs it)'};
	}

	if (base.changed.length > 0) {
		return {...base, state: 'changed', summary: `applied migration changed since: ${base.changed.join(', ')}`};
	}

	if (base.pending.length > 0) {
		return {
			...base,
			state: 'outdated',
			summary: `schema is older than this handoff-top: ${base.pending.length} migration${base.pending.length > 1 ? 's' : ''} pending (${base.pending.join(', ')})`,
		};
	}

	if (base.unknown.length > 0) {
		return {...base, state: 'newer', summary: `schema is newer than this handoff-top (${base.unknown.join(', ')}); upgrade handoff-top`};
	}

	return {...base, state: 'current', summary: `schema up to date (${base.applied} migrations)`};
}
