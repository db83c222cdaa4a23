// The screens on a real database: the real queries through the resilient
// monitor connection, and the real actions guard.
import {cleanup} from 'ink-testing-library';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {createActions} from '../../source/monitor/actions.js';
import {createMonitorData} from '../../source/monitor/monitorData.js';
import {createMonitorDatabase} from '../../source/monitor/monitorDatabase.js';
import {useTestDatabase} from '../helpers/database.js';
import {insertSession} from '../helpers/fixtures.js';
import {keys, renderMonitor} from './render.js';

const database = useTestDatabase();
const closers: Array<() => Promise<void>> = [];
afterEach(() => cleanup());
afterAll(async () => {
	for (const close of closers) await close();
});

function realServices(write: boolean) {
	const {url} = database();
	const db = createMonitorDatabase({connect: async () => connect({dsn: url, purpose: 'monitor', component: '-test', write})});
	closers.push(async () => db.close());
	return {
		data: createMonitorData(db),
		actions: createActions({write, connect: async purpose => connect({dsn: url, purpose, component: '-test-action', write})}),
	};
}

describe('screens over a real database', () => {
	it('lists sessions, opens one with its lifecycle timeline, and archives it only with --write after y', async () => {
		const db = database();
		const session = await insertSession(db.pool, {sessionKey: 'db-screen-session'});
		await db.query(`UPDATE sessions SET status = 'completed' WHERE id = $1`, [session.id]);

		const readOnly = realServices(false);
		const ui = renderMonitor({data: readOnly.data, actions: readOnly.actions, app: {initialScreen: 'sessions'}});
		await ui.waitForText('db-screen-session', 5000);
		await ui.press(keys.enter);
		let text = await ui.waitForText('Session db-screen-session', 5000);
		expect(text).toContain('active→completed');
		await ui.press('a');
		await ui.waitForText('refused: read-only');
		cleanup();

		const writing = realServices(true);
		const ui2 = renderMonitor({write: true, data: writing.data, actions: writing.actions, app: {initialScreen: 'sessions'}});
		await ui2.waitForText('db-screen-session', 5000);
		await ui2.press(keys.enter);
		await ui2.waitForText('Session db-screen-session', 5000);
		await ui2.press('a');
		await ui2.waitForText('[y/n]');
		await ui2.press('y');
		text = await ui2.waitForText('archived db-screen-session', 5000);
		const [row] = await db.query(`SELECT archived_at FROM sessions WHERE id = $1`, [session.id]);
		expect(row.archived_at).toBeInstanceOf(Date);
		const events = await db.query(`SELECT event_data->>'reason' AS reason FROM session_lifecycle WHERE session_id = $1 AND event_type = 'archived'`, [session.id]);
		expect(events).toEqual([{reason: 'operator'}]);
	});

	it('the read-only connection refuses writes even if the guard were bypassed', async () => {
		const {url} = database();
		const client = await connect({dsn: url, purpose: 'monitor', component: '-test'});
		try {
			await expect(client.query(`UPDATE sessions SET status = 'x'`)).rejects.toThrow(/read-only transaction/);
		} finally {
			await client.end();
		}
	});

	it('shows the schema as current and validation without drift, and the dormant list', async () => {
		const db = database();
		await insertSession(db.pool, {sessionKey: 'db-idle', lastActivityAt: new Date(Date.now() - 5 * 3600_000).toISOString()});
		await db.query(`SELECT * FROM lifecycle_sweep(false, now(), 10000)`);
		const services = realServices(false);
		const ui = renderMonitor({data: services.data, actions: services.actions, app: {initialScreen: 'schema'}, size: {columns: 120, rows: 30}});
		await ui.waitForText('✔ schema up to date', 5000);
		await ui.waitForText(/Validation · \d+ objects/, 10_000);
		await ui.press('3');
		const text = await ui.waitForText('db-idle', 5000);
		expect(text).toMatch(/db-idle\s+dormant\s+standard\s+5h/);
	});

	it('Storage (7): each table with its real size, the rows the next sweep removes, and the alarm over the limit, at 80x24', async () => {
		const db = database();
		await db.query(`INSERT INTO performance_logs (operation, duration_ms, created_at)
		                SELECT 'old', 1, now() - interval '40 days' - make_interval(secs => g) FROM generate_series(1, 300) g`);
		await db.query(`UPDATE performance_rollup_state SET rolled_up_to = date_trunc('minute', now())`);
		const [{bytes}] = await db.query(`SELECT pg_database_size(current_database())::float8 AS bytes`);
		const services = realServices(false);
		const ui = renderMonitor({data: services.data, actions: services.actions, app: {storageLimit: Math.round(bytes * 1.05)}, size: {columns: 80, rows: 24}});
		await ui.waitForText('Live events');
		await ui.press('7');
		const text = await ui.waitForText(/! ALARM: 9\d\.\d % of the storage limit/, 10_000);
		const lines = text.split('\n');
		expect(lines[0]).toMatch(/\[?7 Storage\]?/);
		for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
		expect(text).toMatch(/Storage · database [\d.]+ MB, growing/);
		expect(text).toMatch(/ {2}suggestion: /);
		expect(text).toMatch(/table +size +indexes +rows +growth +sweep +kept/);
		// the size shown is the table's as PostgreSQL measures it
		const [logs] = await db.query(`SELECT pg_table_size('performance_logs')::float8 AS bytes`);
		const {size} = await import('../../source/queries/storage.js');
		expect(text).toMatch(new RegExp(`performance_logs +${size(logs.bytes).replace('.', '\\.')} +\\S+ \\S+ +[\\d,]+ +\\S+ +300 +30d`));
		expect(text).toMatch(/^limit [\d.]+ MB: 9\d\.\d % used, /m);
	});
});

describe('the first frame', () => {
	it('shows the rates and health lines asked while the UI loaded, and asks again only on the beat', async () => {
		const db = database();
		await insertSession(db.pool, {sessionKey: 'primed-session'});
		const {data} = realServices(false);
		let asked = 0;
		const counting = {
			...data,
			eventCounts: async (params: {sinceMinutes: number}) => {
				asked++;
				return data.eventCounts(params);
			},
		};
		data.prime({sinceMinutes: 5});
		await data.primed();
		const ui = renderMonitor({data: counting, size: {columns: 120, rows: 36}});
		const first = (ui.frames[0] ?? '').replaceAll(/\u001B\[[0-9;]*m/g, '');
		expect(first).toMatch(/\+ (new|created) (?!0 )\d[\d.]* /); // this test's creation (and others') in the last 5 minutes, in the very first frame
		expect(first).toMatch(/conn(ections)? \d+\/\d+ /);
		expect(asked).toBe(0); // the first poll waits for the beat instead of asking again at once
		await ui.waitFor(() => asked > 0, 'the first poll on the beat', 3000);
		expect(data.firstAnswer('counts')).toBeUndefined(); // handed out once
	});
});
