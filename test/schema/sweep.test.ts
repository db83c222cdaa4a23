// lifecycle_sweep(): policies applied in one pass, concurrent sweeps, the purge
// audit; refresh_analytics_aggregations() re-runs.
import {beforeEach, describe, expect, it} from 'vitest';
import {useTestDatabase} from '../helpers/database.js';
import {events, insertContext, insertSession, sessionRow} from '../helpers/fixtures.js';

const db = useTestDatabase();
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600e3).toISOString();
type SweepRow = {action: string; session_id: string; session_key: string; retention_policy: string; detail: any};
const sweep = async (dryRun = false): Promise<SweepRow[]> =>
	db().query('SELECT * FROM lifecycle_sweep($1)', [dryRun]);

beforeEach(async () => {
	// the purge path's setting: archived sessions from earlier tests may go too
	await db().query(`SELECT set_config('handoff_top.purging', 'on', true); DELETE FROM sessions;`);
	await db().query('DELETE FROM session_purge_audit');
});

describe('lifecycle_sweep', () => {
	it('expires, marks dormant, archives and purges under each policy, and says what it did', async () => {
		const fresh = await insertSession(db().pool, {sessionKey: 'fresh'});
		const idle = await insertSession(db().pool, {sessionKey: 'idle', createdAt: hoursAgo(3)});
		const old = await insertSession(db().pool, {sessionKey: 'old', createdAt: hoursAgo(25), lastActivityAt: hoursAgo(0.5)});
		const done = await insertSession(db().pool, {sessionKey: 'done', status: 'completed', createdAt: hoursAgo(5), lastActivityAt: hoursAgo(2)});
		const keep = await insertSession(db().pool, {sessionKey: 'keep', retentionPolicy: 'permanent', createdAt: hoursAgo(100), lastActivityAt: hoursAgo(3)});
		const extended = await insertSession(db().pool, {sessionKey: 'extended', retentionPolicy: 'extended', createdAt: hoursAgo(3)});

		const preview = await sweep(true);
		const rows = await sweep();
		const did = rows.map(row => `${row.action}:${row.session_key}`).sort();
		expect(did).toEqual(['archive:done', 'dormant:idle', 'expire:old']);
		expect(preview.map(row => `${row.action}:${row.session_key}`).sort()).toEqual(did);

		expect(await sessionRow(db().pool, fresh.id)).toMatchObject({status: 'active', is_dormant: false, archived_at: null});
		expect(await sessionRow(db().pool, idle.id)).toMatchObject({status: 'active', is_dormant: true});
		expect(await sessionRow(db().pool, old.id)).toMatchObject({status: 'expired', is_dormant: false});
		expect((await sessionRow(db().pool, done.id)).archived_at).not.toBeNull();
		expect(await sessionRow(db().pool, keep.id)).toMatchObject({status: 'active', is_dormant: false});
		expect(await sessionRow(db().pool, extended.id)).toMatchObject({status: 'active', is_dormant: false});

		const expired = (await events(db().pool, old.id)).at(-1)!;
		expect(expired).toMatchObject({event_type: 'expired', event_data: {old_status: 'active', reason: 'sweep', retention_policy: 'standard'}});
		expect((await events(db().pool, idle.id)).at(-1)).toMatchObject({event_type: 'dormant', event_data: {reason: 'sweep'}});
		expect((await events(db().pool, done.id)).at(-1)).toMatchObject({event_type: 'archived', event_data: {reason: 'sweep'}});

		expect(await sweep()).toEqual([]);
	});

	it('a dry run changes nothing', async () => {
		const {id} = await insertSession(db().pool, {createdAt: hoursAgo(30)});
		const before = await sessionRow(db().pool, id);
		// 30 h old under the standard policy: one pass expires it and archives it (1 h after expiry)
		expect((await sweep(true)).map(row => row.action)).toEqual(['expire', 'archive']);
		expect(await sessionRow(db().pool, id)).toEqual(before);
		expect((await events(db().pool, id)).map(e => e.event_type)).toEqual(['created']);
	});

	it('a dry run lists what one pass then does, when one pass expires and archives a session, and archives and purges one', async () => {
		// past expiry (24 h) and the archive time after it (1 h): the first sweep of a database meets many of these
		const stale = await insertSession(db().pool, {sessionKey: 'stale', createdAt: hoursAgo(40), lastActivityAt: hoursAgo(39)});
		// past expiry but active in the last hour: expired now, archived by a later pass
		await insertSession(db().pool, {sessionKey: 'recent', createdAt: hoursAgo(30), lastActivityAt: hoursAgo(0.5)});
		// no recorded activity (predates the column): the expiry moves updated_at to now, so it is not archived yet
		const unrecorded = await insertSession(db().pool, {sessionKey: 'unrecorded', createdAt: hoursAgo(40)});
		await db().query('UPDATE sessions SET last_activity_at = NULL WHERE id = $1', [unrecorded.id]);
		// archived and purged in one pass under a policy that purges at once
		await db().query(
			`INSERT INTO retention_policies (name, session_ttl, dormant_after, archive_after, purge_after)
			 VALUES ('at-once', interval '1 hour', interval '1 hour', interval '0', interval '0') ON CONFLICT (name) DO NOTHING`,
		);
		await insertSession(db().pool, {sessionKey: 'gone', retentionPolicy: 'at-once', createdAt: hoursAgo(3), lastActivityAt: hoursAgo(2)});
		await insertSession(db().pool, {sessionKey: 'done-gone', retentionPolicy: 'at-once', status: 'completed', createdAt: hoursAgo(3), lastActivityAt: hoursAgo(2)});
		await insertSession(db().pool, {sessionKey: 'idle', createdAt: hoursAgo(3)});
		await insertSession(db().pool, {sessionKey: 'done', status: 'completed', createdAt: hoursAgo(5), lastActivityAt: hoursAgo(2)});

		const listed = (rows: SweepRow[]) => rows.map(row => `${row.action}:${row.session_key}`);
		const preview = await sweep(true);
		const did = await sweep();
		expect(listed(did).sort()).toEqual(
			['archive:done', 'archive:done-gone', 'archive:gone', 'archive:stale', 'dormant:idle', 'expire:gone', 'expire:recent', 'expire:stale', 'expire:unrecorded', 'purge:done-gone', 'purge:gone'].sort(),
		);
		// the same actions, listed in the order the steps run
		expect(listed(preview).sort()).toEqual(listed(did).sort());
		const steps = preview.map(row => ['expire', 'dormant', 'archive', 'purge'].indexOf(row.action));
		expect(steps).toEqual([...steps].sort((a, b) => a - b));
		expect(preview.find(row => row.session_key === 'stale' && row.action === 'archive')?.detail).toEqual({status: 'expired'});
		expect((await sessionRow(db().pool, stale.id)).archived_at).not.toBeNull();
		await db().query(`DELETE FROM retention_policies WHERE name = 'at-once'`);
	});

	it('two sweeps at once never process the same session', async () => {
		for (let i = 0; i < 40; i++) await insertSession(db().pool, {sessionKey: `s${i}`, createdAt: hoursAgo(30)});
		const a = await db().connect();
		const b = await db().connect();
		try {
			await a.query('BEGIN');
			await b.query('BEGIN');
			// a claims part of the work and holds its locks while b runs
			const first = (await a.query('SELECT * FROM lifecycle_sweep(false, now(), 15)')).rows as SweepRow[];
			const second = (await b.query('SELECT * FROM lifecycle_sweep()')).rows as SweepRow[];
			await b.query('COMMIT');
			await a.query('COMMIT');
			const third = (await a.query('SELECT * FROM lifecycle_sweep()')).rows as SweepRow[];
			const expiredBy = [first, second, third].map(rows => rows.filter(r => r.action === 'expire').map(r => r.session_key));
			expect(expiredBy[0]).toHaveLength(15);
			expect(expiredBy[1]).toHaveLength(25);
			expect(new Set([...expiredBy[0]!, ...expiredBy[1]!]).size).toBe(40);
			expect(expiredBy[2]).toEqual([]);
			const [{n}] = await db().query(`SELECT count(*)::int AS n FROM session_lifecycle WHERE event_type = 'expired'`);
			expect(n).toBe(40);
		} finally {
			await a.end();
			await b.end();
		}
	});

	it('purges archived sessions past their policy, with an audit record that survives the deletion', async () => {
		const {id, session_key} = await insertSession(db().pool, {status: 'completed'});
		await insertContext(db().pool, id, 1);
		await insertContext(db().pool, id, 2);
		await db().query(`INSERT INTO handoff_requests (session_id, requesting_agent) VALUES ($1, 'claude')`, [id]);
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, session_id) VALUES ('update_context', 12, $1)`, [id]);
		await db().query(`UPDATE sessions SET archived_at = now() - interval '31 days' WHERE id = $1`, [id]);

		const rows = await sweep();
		expect(rows).toEqual([expect.objectContaining({action: 'purge', session_key})]);
		expect(await sessionRow(db().pool, id)).toBeUndefined();
		for (const table of ['context_history', 'handoff_requests', 'session_lifecycle']) {
			const [{n}] = await db().query(`SELECT count(*)::int AS n FROM ${table} WHERE session_id = $1`, [id]);
			expect(n, table).toBe(0);
		}

		const [log] = await db().query(`SELECT * FROM performance_logs WHERE operation = 'update_context'`);
		expect(log.session_id).toBeNull();
		const [audit] = await db().query('SELECT * FROM session_purge_audit WHERE session_id = $1', [id]);
		expect(audit).toMatchObject({session_key, status: 'completed', retention_policy: 'standard'});
		expect(audit.deleted_rows).toMatchObject({context_history: 2, handoff_requests: 1, codebase_snapshots: 0, performance_logs_detached: 1});
		expect(audit.lifecycle_events.map((e: any) => e.event_type)).toEqual(['created', 'archived']);
		expect(audit.session_row).toMatchObject({id, session_key});
	});

	it('sessions.retention_policy must name an existing policy', async () => {
		await expect(insertSession(db().pool, {retentionPolicy: 'nonexistent'})).rejects.toThrow(/retention_policy_fkey/);
	});
});

describe('refresh_analytics_aggregations', () => {
	it('fills the three aggregation types for a bucket and replaces them on a re-run', async () => {
		const bucket = '2026-05-01T10:00:00Z';
		const {id} = await insertSession(db().pool, {createdAt: '2026-05-01T10:05:00Z'});
		await db().query(`INSERT INTO handoff_requests (session_id, requesting_agent, status, created_at, completed_at)
			VALUES ($1, 'claude', 'completed', '2026-05-01T10:10:00Z', '2026-05-01T10:10:30Z')`, [id]);
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, success, created_at)
			SELECT 'register_session', g, g <> 7, '2026-05-01T10:20:00Z' FROM generate_series(1, 20) g`);

		expect((await db().query('SELECT refresh_analytics_aggregations($1) AS n', [bucket]))[0].n).toBe(3);
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, created_at) VALUES ('register_session', 500, '2026-05-01T10:30:00Z')`);
		expect((await db().query('SELECT refresh_analytics_aggregations($1) AS n', [bucket]))[0].n).toBe(3);

		const rows = await db().query('SELECT aggregation_type, aggregation_data FROM analytics_aggregations WHERE time_bucket = $1 ORDER BY 1', [bucket]);
		expect(rows.map(row => row.aggregation_type)).toEqual(['handoff_stats', 'performance_trends', 'session_stats']);
		const data = Object.fromEntries(rows.map(row => [row.aggregation_type, row.aggregation_data]));
		expect(data.handoff_stats).toMatchObject({requests: 1, by_status: {completed: 1}, avg_completion_seconds: 30});
		expect(data.performance_trends.operations.register_session).toMatchObject({calls: 21, failures: 1, max_ms: 500});
		expect(data.session_stats).toMatchObject({sessions_created: 1});
	});
});
