// Hostile strings from a real database through the monitor's screens, checked
// on the exact bytes Ink writes: only the monitor's own colour codes remain,
// every hostile value shows inert. Also the paths a terminal test reaches
// less easily: the y/n question, a database error in the footer, the status
// line's error, and the schema summary that names a migration.
import {cleanup, render} from 'ink-testing-library';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {createActions} from '../../source/monitor/actions.js';
import {createMonitorData} from '../../source/monitor/monitorData.js';
import {createMonitorDatabase} from '../../source/monitor/monitorDatabase.js';
import {recentEvents} from '../../source/queries/events.js';
import {schemaState} from '../../source/queries/schema.js';
import {Text} from '../../source/ui/components/Text.js';
import {useTestDatabase} from '../helpers/database.js';
import {hostile, insertHostileBackground, insertHostileSessions, shown, unsafe, withoutColours} from '../helpers/hostile.js';
import {keys, renderMonitor} from './render.js';

// Colour codes must be produced: the check is that they are the only escape codes.
vi.hoisted(() => {
	process.env['FORCE_COLOR'] = '1';
});

const database = useTestDatabase();
const closers: Array<() => Promise<void>> = [];
afterEach(() => cleanup());
afterAll(async () => {
	for (const close of closers) await close();
});

beforeAll(async () => {
	const {pool} = database();
	await insertHostileBackground(pool, {migration: true});
	await insertHostileSessions(pool);
	// archiving the hostile session fails with a server message that quotes its key
	await pool.query(`CREATE FUNCTION refuse_archive() RETURNS trigger LANGUAGE plpgsql AS $$
	                  BEGIN RAISE EXCEPTION 'refusing to archive %', NEW.session_key; END $$`);
	await pool.query(`CREATE TRIGGER refuse_archive BEFORE UPDATE ON sessions FOR EACH ROW
	                  WHEN (NEW.archived_at IS NOT NULL AND NEW.session_key LIKE 'evil-%') EXECUTE FUNCTION refuse_archive()`);
});

function realServices() {
	const {url} = database();
	const db = createMonitorDatabase({connect: async () => connect({dsn: url, purpose: 'monitor', component: '-test', write: true})});
	closers.push(async () => db.close());
	return {
		data: createMonitorData(db),
		actions: createActions({write: true, connect: async purpose => connect({dsn: url, purpose, component: '-test-action', write: true})}),
	};
}

/** The frame as written: without the colour codes, nothing a terminal acts on on any line. */
function expectInertFrame(frame: string | undefined, where: string) {
	expect(frame, where).toBeDefined();
	expect(frame, `${where}: colour codes expected (FORCE_COLOR)`).toMatch(/\u001B\[[0-9;]*m/);
	for (const line of withoutColours(frame!).split('\n')) expect(line, `${where}: ${JSON.stringify(line)}`).not.toMatch(unsafe);
}

describe('the inert Text', () => {
	it('makes every string child inert, nested or not, and leaves numbers and elements alone', () => {
		const {lastFrame} = render(
			<Text>
				a{hostile.title}
				<Text bold>{hostile.clear}</Text>
				{42}
				{[hostile.c1, <Text key="x">{hostile.bidi}</Text>]}
			</Text>,
		);
		const frame = lastFrame()!;
		expect(withoutColours(frame)).toBe(`a${shown.title}${shown.clear}42${shown.c1}${shown.bidi}`);
		expect(withoutColours(frame)).not.toMatch(unsafe);
	});
});

describe('the monitor over a hostile database', () => {
	it('shows every screen, the question, the failure, the status line and the schema summary inert', async () => {
		const {data, actions} = realServices();
		const client = await database().connect();
		const [events, schema] = await Promise.all([recentEvents(client, {limit: 20}), schemaState(client)]).finally(async () => client.end());
		expect(schema.state).toBe('newer');
		const ui = renderMonitor({data, actions, write: true, size: {columns: 120, rows: 36}, app: {schema: {current: false, summary: schema.summary}}});

		// opened on the Schema screen, the summary in the footer: both name the migration
		let text = await ui.waitForText(/Validation · \d+ objects/, 15_000);
		expectInertFrame(ui.lastFrame(), 'schema');
		expect(text).toContain(`✖ schema is newer than this handoff-top (999_${shown.migration}): upgrade handoff-top`);
		expect(text.split('\n').at(-1)).toContain(`schema is newer than this handoff-top (999_${shown.migration})`);
		expect(text).toContain(shown.table);

		await ui.press('1');
		ui.hub.publish(events.toReversed());
		text = await ui.waitForText('plain-after-cut');
		expectInertFrame(ui.lastFrame(), 'live events');
		// columns sized to content: the forged 61-character key is whole; details are cut first
		const evil = text.split('\n').find(line => line.includes(shown.title))!;
		expect(evil).toMatch(/clear␛\[2J␛\[H→␛\[.* status=c1/);
		expect(text).toContain(shown.newline);

		for (const [key, wanted] of [
			['3', 'pol␛[2J'],
			['4', `p95 ${shown.operation}`],
			['5', `${shown.metric} host=${shown.label} · avg per bucket`],
			['2', `› ${shown.title}`],
		] as const) {
			await ui.press(key);
			await ui.waitForText(wanted, 5000);
			expectInertFrame(ui.lastFrame(), `screen ${key}`);
		}

		// the detail, the question that names the session, and the server's refusal quoting it
		await ui.press(keys.enter);
		await ui.waitForText(`Session ${shown.title}`, 5000);
		await ui.waitForText(`${shown.operation}          12ms`, 5000);
		expectInertFrame(ui.lastFrame(), 'detail');
		await ui.press('a');
		text = await ui.waitForText('[y/n]');
		expectInertFrame(ui.lastFrame(), 'question');
		expect(text).toContain(`archive session ${shown.title} (it becomes read-only)? [y/n]`);
		await ui.press('y');
		text = await ui.waitForText('failed:', 5000);
		expectInertFrame(ui.lastFrame(), 'failure');
		expect(text.split('\n').at(-1)).toBe(`failed: refusing to archive ${shown.title}`);

		// the status line, quoting a connection error
		ui.status.set({database: {state: 'disconnected', retryInMs: 4000, lastError: `lost ${hostile.title}`, at: Date.now()}, feed: {state: 'live', at: Date.now()}});
		text = await ui.waitForText('✖ disconnected');
		expectInertFrame(ui.lastFrame(), 'status line');
		expect(text).toContain(`· lost ${shown.title}`);
	}, 30_000);
});
