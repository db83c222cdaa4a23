// A small, fully known handoff database for the query and snapshot tests.
import type {TestDatabase} from '../helpers/database.js';

export type Seeded = {ids: Record<string, string>};

/** Sessions a..f with known activity, counts and states; performance logs
 * and metrics at known offsets before now. */
export async function seed(db: TestDatabase): Promise<Seeded> {
	const ids: Record<string, string> = {};
	const session = async (key: string, extra: {status?: string; createdHoursAgo?: number; agentTo?: string} = {}) => {
		const rows = await db.query<{id: string}>(
			`INSERT INTO sessions (session_key, agent_from, agent_to, created_at)
			 VALUES ($1, 'claude', $2, now() - make_interval(secs => $3 * 3600)) RETURNING id`,
			[key, extra.agentTo ?? null, extra.createdHoursAgo ?? 1],
		);
		ids[key] = rows[0]!.id;
		return rows[0]!.id;
	};

	await session('seed-a', {agentTo: 'gpt'});
	await session('seed-b');
	await session('seed-c');
	await session('seed-d', {createdHoursAgo: 5});
	await session('seed-e', {createdHoursAgo: 20});
	await session('seed-f', {createdHoursAgo: 30});

	for (let i = 1; i <= 3; i++) {
		await db.query(`INSERT INTO context_history (session_id, sequence_number, context_type, content) VALUES ($1, $2, 'message', 'hello')`, [ids['seed-b'], i]);
	}

	await db.query(`INSERT INTO context_history (session_id, sequence_number, context_type, content) VALUES ($1, 1, 'message', 'hi')`, [ids['seed-a']]);
	for (let i = 0; i < 2; i++) {
		await db.query(`INSERT INTO handoff_requests (session_id, requesting_agent, target_agent) VALUES ($1, 'claude', 'gpt')`, [ids['seed-c']]);
	}

	await db.query(`UPDATE sessions SET status = 'completed' WHERE id = $1`, [ids['seed-c']]);
	await db.query(`UPDATE sessions SET status = 'expired' WHERE id = $1`, [ids['seed-f']]);
	// Activity, most recent first: a (10 min), b (30 min), c (50 min), d (90 min), e (3 h), f (4 h).
	const activityMinutes: Record<string, number> = {'seed-a': 10, 'seed-b': 30, 'seed-c': 50, 'seed-d': 90, 'seed-e': 180, 'seed-f': 240};
	for (const [key, minutes] of Object.entries(activityMinutes)) {
		await db.query(`UPDATE sessions SET last_activity_at = now() - make_interval(mins => $2) WHERE id = $1`, [ids[key], minutes]);
	}

	await db.query(`UPDATE sessions SET is_dormant = true WHERE id = $1`, [ids['seed-e']]);
	await db.query(`UPDATE sessions SET archived_at = now() WHERE id = $1`, [ids['seed-f']]);

	// performance_logs: 'fast' 100 calls 1..100 ms all ok, 5 minutes ago; 'flaky' 10 calls, 1 failure, 55 minutes ago.
	await db.query(`INSERT INTO performance_logs (operation, duration_ms, success, session_id, created_at)
	                SELECT 'fast', g, true, $1, now() - interval '5 minutes' FROM generate_series(1, 100) g`, [ids['seed-a']]);
	await db.query(`INSERT INTO performance_logs (operation, duration_ms, success, created_at)
	                SELECT 'flaky', 10 * g, g <> 1, now() - interval '55 minutes' FROM generate_series(1, 10) g`);
	// Outside every window: ignored.
	await db.query(`INSERT INTO performance_logs (operation, duration_ms, success, created_at) VALUES ('old', 5, false, now() - interval '30 hours')`);

	await db.query(`INSERT INTO system_metrics (metric_name, metric_value, metric_type, labels, recorded_at) VALUES
	    ('cpu', 10, 'gauge', '{"host": "a"}', now() - interval '50 minutes'),
	    ('cpu', 20, 'gauge', '{"host": "a"}', now() - interval '20 minutes'),
	    ('cpu', 30, 'gauge', '{"host": "a"}', now() - interval '2 minutes'),
	    ('cpu', 70, 'gauge', '{"host": "b"}', now() - interval '2 minutes'),
	    ('requests_total', 1234, 'counter', '{}', now() - interval '1 minute'),
	    ('stale', 1, 'gauge', '{}', now() - interval '3 days')`);
	return {ids};
}
