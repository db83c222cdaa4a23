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

/**
 * Lets this database take any lower-case event type, as migration 010 does
 * (a schema from before it has an IN list there): the readers are what the
 * caller tests. The rule 010 puts in place, so a type it would refuse stays refused.
 */
export async function acceptAnyEventType(db: Queryable): Promise<void> {
	await db.query(`ALTER TABLE session_lifecycle DROP CONSTRAINT IF EXISTS session_lifecycle_event_type_check`);
	await db.query(`ALTER TABLE session_lifecycle ADD CONSTRAINT session_lifecycle_event_type_check CHECK (event_type::text ~ '^[a-z][a-z0-9_]*$')`);
}

/** A lifecycle row as a writer logs one of its own (the handoff server: 'expiration_scheduled'). */
export async function insertLifecycleEvent(db: Queryable, sessionId: string, eventType: string, eventData: Record<string, unknown> = {}): Promise<string> {
	const {rows} = await db.query(`INSERT INTO session_lifecycle (session_id, event_type, event_data) VALUES ($1, $2, $3) RETURNING id`, [
		sessionId,
		eventType,
		JSON.stringify(eventData),
	]);
	return rows[0].id;
}

/** The handoff server's own lifecycle row at registration (sessionManager.scheduleExpiration). */
export const expirationScheduled = {expires_at: '2031-01-02T03:04:05.000Z', retention_policy: 'standard', ttl_hours: 24};
