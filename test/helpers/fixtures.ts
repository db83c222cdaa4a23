// Small builders for handoff rows, written through plain SQL as the handoff
// server would write them.
import {randomUUID} from 'node:crypto';
import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;

export type SessionInput = {
	sessionKey?: string;
	agentFrom?: string;
	agentTo?: string | null;
	status?: string;
	retentionPolicy?: string;
	createdAt?: string;
	lastActivityAt?: string;
	expiresAt?: string | null;
	metadata?: unknown;
};

export async function insertSession(db: Queryable, input: SessionInput = {}): Promise<{id: string; session_key: string}> {
	const {rows} = await db.query(
		`INSERT INTO sessions (session_key, agent_from, agent_to, status, retention_policy, created_at, last_activity_at, expires_at, metadata)
		 VALUES ($1, $2, $3, $4, $5, coalesce($6::timestamptz, now()), coalesce($7::timestamptz, $6::timestamptz, now()), $8, $9)
		 RETURNING id, session_key`,
		[
			input.sessionKey ?? `sess-${randomUUID().slice(0, 8)}`,
			input.agentFrom ?? 'claude',
			input.agentTo === undefined ? 'gpt' : input.agentTo,
			input.status ?? 'active',
			input.retentionPolicy ?? 'standard',
			input.createdAt ?? null,
			input.lastActivityAt ?? null,
			input.expiresAt ?? null,
			JSON.stringify(input.metadata ?? {}),
		],
	);
	return rows[0];
}

export async function insertContext(db: Queryable, sessionId: string, sequence: number, content = 'hello'): Promise<void> {
	await db.query(
		`INSERT INTO context_history (session_id, sequence_number, context_type, content) VALUES ($1, $2, 'message', $3)`,
		[sessionId, sequence, content],
	);
}

export async function events(db: Queryable, sessionId: string): Promise<Array<{event_type: string; event_data: any}>> {
	const {rows} = await db.query(
		'SELECT event_type, event_data FROM session_lifecycle WHERE session_id = $1 ORDER BY seq',
		[sessionId],
	);
	return rows;
}

export async function sessionRow(db: Queryable, id: string): Promise<any> {
	const {rows} = await db.query('SELECT * FROM sessions WHERE id = $1', [id]);
	return rows[0];
}
