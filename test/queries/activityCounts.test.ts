// The sessions screen's count sorts read session_activity_counts (migration
// 007) and must order exactly as counting every session would: before the
// first refresh, right after one, and with rows added since.
import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {sessionsPage} from '../../source/queries/index.js';
import {useTestDatabase} from '../helpers/database.js';

const db = useTestDatabase();
let client: pg.Client;
afterAll(async () => client?.end());

// 48 sessions, created an hour apart; counts from a fixed pattern, many ties
beforeAll(async () => {
	await db().query(`
		INSERT INTO sessions (session_key, agent_from, status, created_at)
		SELECT 'count-' || g, 'claude', (ARRAY['active', 'paused', 'completed'])[1 + g % 3], now() - make_interval(hours => 100 - g)
		  FROM generate_series(1, 48) g;
		INSERT INTO context_history (session_id, sequence_number, context_type, content)
		SELECT s.id, n, 'message', 'x'
		  FROM sessions s CROSS JOIN LATERAL generate_series(1, (substring(s.session_key FROM 7)::int * 7) % 5) n
		 WHERE s.session_key LIKE 'count-%';
		INSERT INTO handoff_requests (session_id, requesting_agent)
		SELECT s.id, 'claude'
		  FROM sessions s CROSS JOIN LATERAL generate_series(1, (substring(s.session_key FROM 7)::int * 5) % 3) n
		 WHERE s.session_key LIKE 'count-%';`);
	// the monitor's own read-only connection, as the monitor uses it
	client = await connect({dsn: db().url, purpose: 'monitor', component: '-test'});
});

type Sort = 'context' | 'handoffs';
/** The order by counting every session. */
async function bruteForce(sort: Sort, status: string | null): Promise<string[]> {
	const count = sort === 'context' ? 'context_count' : 'handoff_count';
	const rows = await db().query(
		`SELECT session_key FROM handoff_top_session_view
		  WHERE ($1::text IS NULL OR status = $1::text)
		  ORDER BY ${count} DESC, created_at DESC NULLS LAST, id`,
		[status],
	);
	return rows.map((row: {session_key: string}) => row.session_key);
}

async function pages(sort: Sort, status: string | null, size: number, countMatchesUpTo?: number): Promise<string[]> {
	const keys: string[] = [];
	for (let offset = 0; ; offset += size) {
		const {rows} = await sessionsPage(client, {sort, status: status ?? undefined, limit: size, offset, ...(countMatchesUpTo === undefined ? {} : {countMatchesUpTo})});
		keys.push(...rows.map(row => row.sessionKey));
		if (rows.length < size) return keys;
	}
}

async function expectExact(): Promise<void> {
	for (const sort of ['context', 'handoffs'] as const) {
		for (const status of [null, 'paused', 'cancelled']) {
			const expected = await bruteForce(sort, status);
			for (const size of [5, 20]) expect(await pages(sort, status, size), `${sort} ${status} ${size}`).toEqual(expected);
			// a filter few sessions match counts them one by one (16 paused, none cancelled, under the default 1000);
			// with the threshold at 0 the same pages come from walking the counts
			if (status) expect(await pages(sort, status, 5, 0), `${sort} ${status} walking the counts`).toEqual(expected);
		}
	}
}

describe('count sorts', () => {
	it('are exact before the counts are ever refreshed', async () => {
		await expectExact();
	});

	it('are exact from the refreshed counts, which match a full count', async () => {
		const [refresh] = await db().query('SELECT * FROM refresh_session_activity_counts()');
		expect(Number(refresh.sessions_counted)).toBeGreaterThanOrEqual(48);
		const mismatched = await db().query(`
			SELECT a.session_id FROM session_activity_counts a
			 WHERE a.context_count <> (SELECT count(*) FROM context_history c WHERE c.session_id = a.session_id)
			    OR a.handoff_count <> (SELECT count(*) FROM handoff_requests h WHERE h.session_id = a.session_id)`);
		expect(mismatched).toEqual([]);
		await expectExact();
	});

	it('stay exact for rows and sessions added after the refresh, and the next refresh recounts only those', async () => {
		// counted through an hour ago: the rows above (made just now) count as new, like later writes
		await db().query(`UPDATE session_activity_counts_state SET counted_through = now() - interval '1 hour', grace = interval '0'`);
		await db().query('SELECT * FROM refresh_session_activity_counts()');
		await db().query(`UPDATE session_activity_counts_state SET counted_through = now() + interval '1 second'`);
		await db().query(`
			INSERT INTO context_history (session_id, sequence_number, context_type, content, created_at)
			SELECT s.id, 100 + n, 'message', 'late', now() + interval '2 seconds'
			  FROM sessions s CROSS JOIN generate_series(1, 9) n WHERE s.session_key = 'count-3';
			INSERT INTO sessions (session_key, agent_from, status, created_at) VALUES ('count-new', 'claude', 'paused', now() + interval '2 seconds');
			INSERT INTO handoff_requests (session_id, requesting_agent, created_at)
			SELECT s.id, 'claude', now() + interval '2 seconds' FROM sessions s, generate_series(1, 4) WHERE s.session_key = 'count-new';`);
		await expectExact();
		expect((await pages('context', null, 5))[0]).toBe('count-3');
		expect((await pages('handoffs', null, 5))[0]).toBe('count-new');
		const [refresh] = await db().query(`SELECT * FROM refresh_session_activity_counts(now() + interval '3 seconds')`);
		expect(Number(refresh.sessions_counted)).toBe(2);
		await expectExact();
	});

	it('drop the counts of a deleted session with it', async () => {
		await db().query(`DELETE FROM sessions WHERE session_key = 'count-new'`);
		expect(await db().query(`SELECT 1 FROM session_activity_counts a LEFT JOIN sessions s ON s.id = a.session_id WHERE s.id IS NULL`)).toEqual([]);
		await expectExact();
	});
});
