// The lifecycle triggers: every event type, last_activity_at semantics, and
// read-only archived sessions.
import {describe, expect, it} from 'vitest';
import {useTestDatabase} from '../helpers/database.js';
import {events, insertContext, insertSession, sessionRow} from '../helpers/fixtures.js';

const db = useTestDatabase();
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600e3).toISOString();

describe('lifecycle events', () => {
	it('logs created with the session facts', async () => {
		const {id} = await insertSession(db().pool, {agentFrom: 'claude', agentTo: 'codex', retentionPolicy: 'extended'});
		expect(await events(db().pool, id)).toEqual([
			{event_type: 'created', event_data: expect.objectContaining({status: 'active', agent_from: 'claude', agent_to: 'codex', retention_policy: 'extended'})},
		]);
	});

	it('logs status_changed with old and new status, and expired for a move to expired', async () => {
		const {id} = await insertSession(db().pool);
		await db().query(`UPDATE sessions SET status = 'paused' WHERE id = $1`, [id]);
		await db().query(`UPDATE sessions SET status = 'expired' WHERE id = $1`, [id]);
		const logged = await events(db().pool, id);
		expect(logged.map(e => e.event_type)).toEqual(['created', 'status_changed', 'expired']);
		expect(logged[1]!.event_data).toMatchObject({old_status: 'active', new_status: 'paused', reason: 'application'});
		expect(logged[2]!.event_data).toMatchObject({old_status: 'paused', new_status: 'expired'});
	});

	it('logs dormant and reactivated with the previous state', async () => {
		const {id} = await insertSession(db().pool, {lastActivityAt: hoursAgo(5)});
		await db().query('UPDATE sessions SET is_dormant = true WHERE id = $1', [id]);
		await db().query('UPDATE sessions SET is_dormant = false WHERE id = $1', [id]);
		const logged = await events(db().pool, id);
		expect(logged.map(e => e.event_type)).toEqual(['created', 'dormant', 'reactivated']);
		// previous_state as the handoff server's trigger writes it (was it dormant before?); handoff-top adds the rest.
		expect(logged[1]!.event_data).toMatchObject({previous_state: false, retention_policy: 'standard', reason: 'application', status: 'active'});
		expect(Number(logged[1]!.event_data.inactive_hours)).toBeCloseTo(5, 1);
		expect(logged[2]!.event_data).toMatchObject({previous_state: true, status: 'active', retention_policy: 'standard'});
	});

	it('logs archived, including from NULL (null-safe comparison)', async () => {
		const {id} = await insertSession(db().pool, {status: 'completed'});
		await db().query('UPDATE sessions SET archived_at = now() WHERE id = $1', [id]);
		const logged = await events(db().pool, id);
		expect(logged.map(e => e.event_type)).toEqual(['created', 'archived']);
		expect(logged[1]!.event_data).toMatchObject({previous_state: 'completed', status: 'completed'});
	});

	it('logs nothing for an update that changes no lifecycle state', async () => {
		const {id} = await insertSession(db().pool);
		await db().query(`UPDATE sessions SET metadata = '{"k": 1}', agent_to = NULL WHERE id = $1`, [id]);
		expect((await events(db().pool, id)).map(e => e.event_type)).toEqual(['created']);
	});

	it('reactivates a dormant session on new context, with an event', async () => {
		const {id} = await insertSession(db().pool, {lastActivityAt: hoursAgo(3)});
		await db().query('UPDATE sessions SET is_dormant = true WHERE id = $1', [id]);
		await insertContext(db().pool, id, 1);
		const row = await sessionRow(db().pool, id);
		expect(row.is_dormant).toBe(false);
		expect((await events(db().pool, id)).map(e => e.event_type)).toEqual(['created', 'dormant', 'reactivated']);
	});
});

describe('last_activity_at moves only on real activity', () => {
	const stale = async () => {
		const {id} = await insertSession(db().pool, {lastActivityAt: hoursAgo(10)});
		return {id, before: (await sessionRow(db().pool, id)).last_activity_at as Date};
	};

	it.each([
		['marking dormant', 'is_dormant = true'],
		['archiving', 'archived_at = now()'],
		['changing retention policy', "retention_policy = 'extended'"],
		['changing expiry', "expires_at = now() + interval '1 day'"],
		['changing metadata', `metadata = '{"x": 1}'`],
	])('%s leaves it alone', async (_name, assignment) => {
		const {id, before} = await stale();
		await db().query(`UPDATE sessions SET ${assignment} WHERE id = $1`, [id]);
		expect((await sessionRow(db().pool, id)).last_activity_at).toEqual(before);
	});

	it('a status change by the application is activity', async () => {
		const {id, before} = await stale();
		await db().query(`UPDATE sessions SET status = 'completed' WHERE id = $1`, [id]);
		expect((await sessionRow(db().pool, id)).last_activity_at.getTime()).toBeGreaterThan(before.getTime() + 9 * 3600e3);
	});

	it('new context and new handoff requests are activity', async () => {
		const a = await stale();
		await insertContext(db().pool, a.id, 1);
		expect((await sessionRow(db().pool, a.id)).last_activity_at.getTime()).toBeGreaterThan(a.before.getTime());
		const b = await stale();
		await db().query(`INSERT INTO handoff_requests (session_id, requesting_agent) VALUES ($1, 'claude')`, [b.id]);
		expect((await sessionRow(db().pool, b.id)).last_activity_at.getTime()).toBeGreaterThan(b.before.getTime());
	});

	it('an UPDATE that sets last_activity_at explicitly keeps its value, even with a status change', async () => {
		const {id} = await stale();
		await db().query(`UPDATE sessions SET status = 'paused', last_activity_at = '2026-03-01T12:00:00Z' WHERE id = $1`, [id]);
		expect((await sessionRow(db().pool, id)).last_activity_at.toISOString()).toBe('2026-03-01T12:00:00.000Z');
	});

	it('the sweep expiring a session does not count as activity', async () => {
		const {id} = await insertSession(db().pool, {createdAt: hoursAgo(30), retentionPolicy: 'permanent', expiresAt: hoursAgo(1)});
		const before = (await sessionRow(db().pool, id)).last_activity_at;
		await db().query('SELECT * FROM lifecycle_sweep()');
		const after = await sessionRow(db().pool, id);
		expect(after.status).toBe('expired');
		expect(after.last_activity_at).toEqual(before);
	});

	it('fills content_size_bytes from the content, and again when the content changes', async () => {
		const {id} = await insertSession(db().pool);
		await insertContext(db().pool, id, 1, 'héllo');
		const size = async () => (await db().query('SELECT content_size_bytes FROM context_history WHERE session_id = $1', [id]))[0].content_size_bytes;
		expect(await size()).toBe(6);
		await db().query(`UPDATE context_history SET content = 'a longer text' WHERE session_id = $1`, [id]);
		expect(await size()).toBe(13);
		await db().query(`UPDATE context_history SET content = 'x', content_size_bytes = 99 WHERE session_id = $1`, [id]);
		expect(await size()).toBe(99);
	});
});

describe('activity resolution: last_activity_at moves at most once per retention_policies.activity_resolution', () => {
	const lastActivity = async (id: string) => (await sessionRow(db().pool, id)).last_activity_at as Date;

	it('records the first message after a quiet spell, skips the ones within the resolution (1 minute by default)', async () => {
		const {id} = await insertSession(db().pool, {lastActivityAt: hoursAgo(10)});
		await insertContext(db().pool, id, 1);
		const recorded = await lastActivity(id);
		expect(Date.now() - recorded.getTime()).toBeLessThan(60_000);
		await insertContext(db().pool, id, 2);
		await db().query(`INSERT INTO handoff_requests (session_id, requesting_agent) VALUES ($1, 'claude')`, [id]);
		expect(await lastActivity(id)).toEqual(recorded);
		// a minute later (moved back instead of waiting) the next message counts again
		await db().query(`UPDATE sessions SET last_activity_at = last_activity_at - interval '61 seconds' WHERE id = $1`, [id]);
		const backdated = await lastActivity(id);
		await insertContext(db().pool, id, 3);
		expect((await lastActivity(id)).getTime()).toBeGreaterThan(backdated.getTime() + 60_000);
	});

	it('records every message under a policy with a zero resolution', async () => {
		await db().query(`INSERT INTO retention_policies (name, dormant_after, activity_resolution) VALUES ('exact', interval '1 hour', interval '0')`);
		const {id} = await insertSession(db().pool, {retentionPolicy: 'exact'});
		await insertContext(db().pool, id, 1);
		const first = await lastActivity(id);
		await new Promise(resolve => setTimeout(resolve, 20));
		await insertContext(db().pool, id, 2);
		expect((await lastActivity(id)).getTime()).toBeGreaterThan(first.getTime());
	});

	it('reactivates a dormant session on its first message, whatever the resolution', async () => {
		const {id} = await insertSession(db().pool, {lastActivityAt: new Date(Date.now() - 10_000).toISOString()});
		await db().query('UPDATE sessions SET is_dormant = true WHERE id = $1', [id]);
		await insertContext(db().pool, id, 1);
		expect((await sessionRow(db().pool, id)).is_dormant).toBe(false);
		expect((await events(db().pool, id)).map(e => e.event_type)).toEqual(['created', 'dormant', 'reactivated']);
	});

	it('never marks a session dormant early: the sweep waits dormant_after plus the resolution', async () => {
		// standard: dormant after 2 h, resolution 1 min
		const early = await insertSession(db().pool, {lastActivityAt: new Date(Date.now() - (2 * 3600 + 30) * 1000).toISOString()});
		const due = await insertSession(db().pool, {lastActivityAt: new Date(Date.now() - (2 * 3600 + 90) * 1000).toISOString()});
		const swept = await db().query(`SELECT action, session_id FROM lifecycle_sweep() WHERE action = 'dormant'`);
		const ids = swept.map((row: {session_id: string}) => row.session_id);
		expect(ids).toContain(due.id);
		expect(ids).not.toContain(early.id);
	});

	it('refuses a negative resolution', async () => {
		await expect(db().query(`UPDATE retention_policies SET activity_resolution = interval '-1 second' WHERE name = 'standard'`)).rejects.toThrow(/activity_resolution/);
	});
});

describe('archived sessions are read-only', () => {
	const archived = async () => {
		const session = await insertSession(db().pool, {status: 'completed'});
		await insertContext(db().pool, session.id, 1);
		await db().query(`INSERT INTO handoff_requests (session_id, requesting_agent) VALUES ($1, 'claude')`, [session.id]);
		await db().query(`INSERT INTO codebase_snapshots (session_id, file_path, content_hash) VALUES ($1, 'a.ts', 'abc')`, [session.id]);
		await db().query('UPDATE sessions SET archived_at = now() WHERE id = $1', [session.id]);
		return session;
	};
	const readOnly = (key: string) => new RegExp(`session ${key} \\(.*\\) is archived and read-only`);

	it('refuses updates and deletes of the session, naming it', async () => {
		const {id, session_key} = await archived();
		await expect(db().query(`UPDATE sessions SET status = 'active' WHERE id = $1`, [id])).rejects.toThrow(readOnly(session_key));
		await expect(db().query('DELETE FROM sessions WHERE id = $1', [id])).rejects.toThrow(readOnly(session_key));
	});

	it.each([
		['context_history', `INSERT INTO context_history (session_id, sequence_number, context_type, content) VALUES ($1, 2, 'message', 'x')`],
		['context_history', `UPDATE context_history SET content = 'changed' WHERE session_id = $1`],
		['context_history', 'DELETE FROM context_history WHERE session_id = $1'],
		['handoff_requests', `INSERT INTO handoff_requests (session_id, requesting_agent) VALUES ($1, 'gpt')`],
		['handoff_requests', `UPDATE handoff_requests SET status = 'accepted' WHERE session_id = $1`],
		['handoff_requests', 'DELETE FROM handoff_requests WHERE session_id = $1'],
		['codebase_snapshots', `INSERT INTO codebase_snapshots (session_id, file_path, content_hash) VALUES ($1, 'b.ts', 'def')`],
		['codebase_snapshots', `UPDATE codebase_snapshots SET content = 'x' WHERE session_id = $1`],
		['codebase_snapshots', 'DELETE FROM codebase_snapshots WHERE session_id = $1'],
	])('refuses writes to %s: %s', async (table, statement) => {
		const {id, session_key} = await archived();
		await expect(db().query(statement, [id])).rejects.toThrow(readOnly(session_key));
		const [row] = await db().query(`SELECT count(*)::int AS n FROM ${table} WHERE session_id = $1`, [id]);
		expect(row.n).toBe(1);
	});

	it('still reads, and leaves other sessions writable', async () => {
		const {id} = await archived();
		const [view] = await db().query('SELECT context_entries, handoff_requests FROM session_monitoring_view WHERE id = $1', [id]);
		expect(view).toEqual({context_entries: '1', handoff_requests: '1'});
		const other = await insertSession(db().pool);
		await insertContext(db().pool, other.id, 1);
		await db().query('DELETE FROM sessions WHERE id = $1', [other.id]);
	});
});
