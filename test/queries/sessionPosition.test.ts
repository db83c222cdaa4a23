// sessionPosition: where a session is in the Sessions list, for the screen to
// follow a selected session to the page it moved to. Against a real server it
// must agree with sessionsPage's order for every sort, with and without a
// status filter, and say undefined for a session the filter leaves out.
import {beforeAll, describe, expect, it} from 'vitest';
import pg from 'pg';
import {sessionPosition, sessionSorts, sessionsPage} from '../../source/queries/sessions.js';
import {useTestDatabase} from '../helpers/database.js';
import {insertContext, insertSession} from '../helpers/fixtures.js';

const db = useTestDatabase();
const ids: string[] = [];

beforeAll(async () => {
	const now = Date.now();
	for (let i = 0; i < 24; i++) {
		const {id} = await insertSession(db().pool, {
			sessionKey: `pos-${i}`,
			status: i % 3 === 0 ? 'paused' : 'active',
			// ties on purpose: pairs share created_at and last activity
			createdAt: new Date(now - Math.floor(i / 2) * 3600_000).toISOString(),
			lastActivityAt: new Date(now - ((i * 7) % 24) * 60_000).toISOString(),
		});
		ids.push(id);
		for (let c = 0; c < i % 4; c++) await insertContext(db().pool, id, c + 1);
		for (let h = 0; h < i % 3; h++) {
			await db().query(`INSERT INTO handoff_requests (session_id, requesting_agent, target_agent, request_type, status) VALUES ($1, 'claude', 'gpt', 'context_transfer', 'pending')`, [id]);
		}
	}

	// a session from before last_activity_at (NULL): sorted last by activity
	await db().query(`UPDATE sessions SET last_activity_at = NULL WHERE session_key = 'pos-5'`);
});

describe('sessionPosition', () => {
	for (const sort of sessionSorts) {
		for (const status of [undefined, 'paused']) {
			it(`agrees with sessionsPage sorted by ${sort}${status ? `, status ${status}` : ''}`, async () => {
				const client = await db().connect();
				try {
					const listed = (await sessionsPage(client as pg.ClientBase, {sort, ...(status ? {status} : {}), limit: 1000, offset: 0})).rows.map(row => row.id);
					for (const id of ids) {
						const position = await sessionPosition(client, {id, sort, ...(status ? {status} : {})});
						if (!listed.includes(id)) {
							expect(position).toBeUndefined();
							continue;
						}

						// ties may order either way: the position is that of a row with the same sort key
						const at = listed.indexOf(id);
						expect(Math.abs(position! - at), `${id} at ${at}, located at ${position}`).toBeLessThanOrEqual(1);
					}
				} finally {
					await client.end();
				}
			});
		}
	}
});
