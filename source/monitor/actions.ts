// The monitor's writing actions: archive a session, reactivate a session, run
// the lifecycle sweep, apply migrations. This is the one place that decides
// whether one may run: without --write every action is refused with the
// reason, and perform() checks again, whoever calls it. (The monitor's own
// connections are read-only too unless --write: default_transaction_read_only.)
import type pg from 'pg';
import {applyMigrations} from '../db/migrations.js';
import {sqlText} from '../db/sqlText.js';

export type ActionRequest =
	| {kind: 'archive'; sessionId: string; sessionKey: string}
	| {kind: 'reactivate'; sessionId: string; sessionKey: string}
	| {kind: 'sweep'}
	| {kind: 'migrate'; pending: string[]};

export type ActionCheck = {allowed: true; question: string} | {allowed: false; reason: string};

export type ActionsOptions = {
	write: boolean;
	/** A connection that may write: 'admin' for migrations (no statement timeout), 'monitor' otherwise. */
	connect: (purpose: 'admin' | 'monitor') => Promise<pg.Client>;
};

export class ActionRefusedError extends Error {
	constructor(reason: string) {
		super(reason);
		this.name = 'ActionRefusedError';
	}
}

/** What the action does, in words, for the question and the refusal. */
export function describeAction(action: ActionRequest): string {
	switch (action.kind) {
		case 'archive':
			return `archive session ${action.sessionKey} (it becomes read-only)`;
		case 'reactivate':
			return `reactivate session ${action.sessionKey}`;
		case 'sweep':
			return 'run the lifecycle sweep now (expire, dormant, archive, purge per retention policy)';
		case 'migrate':
			return action.pending.length > 0
				? `apply ${action.pending.length} migration${action.pending.length > 1 ? 's' : ''} (${action.pending.join(', ')})`
				: 'apply pending migrations';
	}
}

export function checkAction(action: ActionRequest, write: boolean): ActionCheck {
	if (!write) {
		return {
			allowed: false,
			reason: `refused: read-only — start handoff-top with --write to ${describeAction(action)}`,
		};
	}

	return {allowed: true, question: `${describeAction(action)}?`};
}

async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
	await client.query('BEGIN');
	try {
		const result = await work();
		await client.query('COMMIT');
		return result;
	} catch (error) {
		await client.query('ROLLBACK').catch(() => {});
		throw error;
	}
}

export type Actions = {
	check(action: ActionRequest): ActionCheck;
	/** Runs an allowed action; progress lines as it goes; resolves with a one-line summary. */
	perform(action: ActionRequest, onProgress?: (line: string) => void): Promise<string>;
};

export function createActions(options: ActionsOptions): Actions {
	const check = (action: ActionRequest) => checkAction(action, options.write);
	return {
		check,
		async perform(action, onProgress = () => {}) {
			const verdict = check(action);
			if (!verdict.allowed) throw new ActionRefusedError(verdict.reason);
			const client = await options.connect(action.kind === 'migrate' ? 'admin' : 'monitor');
			try {
				switch (action.kind) {
					case 'archive':
					case 'reactivate': {
						const rows = await inTransaction(client, async () => {
							await client.query(sqlText('actions/operator_reason'));
							const sql = sqlText(action.kind === 'archive' ? 'actions/archive_session' : 'actions/reactivate_session');
							return (await client.query(sql, [action.sessionId])).rows;
						});
						if (rows.length === 0) {
							return action.kind === 'archive'
								? `session ${action.sessionKey} was already archived (or is gone)`
								: `session ${action.sessionKey} is not dormant (or is archived): nothing to reactivate`;
						}

						return action.kind === 'archive' ? `archived ${action.sessionKey}` : `reactivated ${action.sessionKey}`;
					}

					case 'sweep': {
						onProgress('sweeping…');
						const {rows} = await client.query<{action: string}>(sqlText('actions/lifecycle_sweep'));
						const counts = new Map<string, number>();
						for (const row of rows) counts.set(row.action, (counts.get(row.action) ?? 0) + 1);
						const parts = ['expire', 'dormant', 'archive', 'purge'].map(name => `${counts.get(name) ?? 0} ${name}`);
						return `sweep done: ${parts.join(', ')}`;
					}

					case 'migrate': {
						const done = await applyMigrations(client, {
							whenLocked: 'fail',
							onStart: migration => onProgress(`applying ${migration.file}…`),
							onApplied: (migration, ms) => onProgress(`applied ${migration.file} in ${ms} ms`),
						});
						return done.length === 0
							? 'nothing to apply: the schema is up to date'
							: `applied ${done.length} migration${done.length > 1 ? 's' : ''}: ${done.map(m => m.file).join(', ')}`;
					}
				}
			} finally {
				await client.end().catch(() => {});
			}
		},
	};
}
