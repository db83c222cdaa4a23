// Event types other than the spec's six, as real writers log them (the
// handoff server: 'expiration_scheduled'; anyone: 'custom_audit'), on a real
// database through the real feed and queries: Live events, the rates line,
// Sessions and the session detail show them under their own name, never
// 'cannot load'.
import {cleanup} from 'ink-testing-library';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {createEventFeed, type EventFeed} from '../../source/feed/eventFeed.js';
import {createActions} from '../../source/monitor/actions.js';
import {createMonitorData} from '../../source/monitor/monitorData.js';
import {createMonitorDatabase} from '../../source/monitor/monitorDatabase.js';
import {useTestDatabase} from '../helpers/database.js';
import {acceptAnyEventType, expirationScheduled, insertLifecycleEvent, insertSession} from '../helpers/fixtures.js';
import {keys, renderMonitor, type Harness} from './render.js';

const database = useTestDatabase();
const closers: Array<() => Promise<void>> = [];
let since: Date;

beforeAll(async () => {
	const db = database();
	await acceptAnyEventType(db.pool);
	since = new Date(Date.now() - 60_000);
	const scheduled = await insertSession(db.pool, {sessionKey: 'open-scheduled', agentFrom: 'claude', agentTo: 'gpt'});
	await insertLifecycleEvent(db.pool, scheduled.id, 'expiration_scheduled', expirationScheduled);
	const audited = await insertSession(db.pool, {sessionKey: 'open-audited', agentFrom: 'gemini', agentTo: null});
	await insertLifecycleEvent(db.pool, audited.id, 'custom_audit', {actor: 'ops'});
	// a type named like an Object.prototype member, counted as any other
	await insertLifecycleEvent(db.pool, audited.id, 'constructor', {});
});
afterEach(() => cleanup());
afterAll(async () => {
	for (const close of closers.splice(0)) await close();
});

function realServices() {
	const {url} = database();
	const db = createMonitorDatabase({connect: async () => connect({dsn: url, purpose: 'monitor', component: '-test'})});
	closers.push(async () => db.close());
	return {
		data: createMonitorData(db),
		actions: createActions({write: false, connect: async purpose => connect({dsn: url, purpose, component: '-test-action', write: false})}),
	};
}

/** The real feed into the harness's hub, from a minute before the rows. */
async function follow(ui: Harness): Promise<EventFeed> {
	const {url} = database();
	const feed = createEventFeed({
		connect: async () => connect({dsn: url, purpose: 'monitor', component: '-feed'}),
		start: since,
		onEvents: batch => ui.hub.publish(batch),
		onStatus: () => {},
	});
	closers.push(async () => feed.stop());
	await feed.start();
	return feed;
}

describe('event types of other writers', () => {
	it('Live events shows them under their own name with the neutral symbol, and / filters by them', async () => {
		const services = realServices();
		const ui = renderMonitor({...services, size: {columns: 120, rows: 30}});
		await follow(ui);
		let text = await ui.waitFor(t => t.includes('custom_audit') && t.includes('expiration_scheduled'), 'both types', 10_000);
		expect(text).toMatch(/· expiration_scheduled\s+open-scheduled\s+claude→gpt\s+.*expires_at=2031-01-02T03:04:05\.000Z/);
		expect(text).toMatch(/· custom_audit\s+open-audited\s+gemini\s+actor=ops\b/);
		expect(text).toMatch(/· constructor\s+open-audited/);
		expect(text).toMatch(/\+ created\s+open-scheduled/); // the spec's keep theirs
		expect(text).not.toContain('cannot load');
		// the rates line: the six, and the others' count beside them
		await ui.waitForText(/events\/min \(5m\) .*\+ created 0\.4 .*# archived 0 · other 0\.6/, 10_000);

		await ui.press('/', ...'custom');
		text = await ui.waitForText('filter: custom');
		expect(text).toContain('open-audited');
		expect(text).not.toContain('expiration_scheduled');
		expect(text).not.toMatch(/\+ created\s+open-/);
		await ui.press(keys.enter, keys.escape);
		await ui.waitFor(t => !t.includes('filter:') && t.includes('expiration_scheduled'), 'the filter cleared');
	});

	it('keeps the six counts in 80 columns when the others do not fit', async () => {
		const ui = renderMonitor({...realServices(), size: {columns: 80, rows: 24}});
		const text = await ui.waitForText(/events\/min \(5m\) .*\+ new 0\.4/, 10_000);
		const line = text.split('\n').find(l => l.includes('events/min'))!;
		expect(line.length).toBeLessThanOrEqual(80);
		expect(line).toMatch(/# arch 0/);
		expect(line).not.toContain('other'); // left out whole rather than cut
	});

	it('Sessions lists their sessions and the detail timeline shows the events', async () => {
		const ui = renderMonitor({...realServices(), app: {initialScreen: 'sessions'}});
		let text = await ui.waitFor(t => t.includes('open-scheduled') && t.includes('open-audited'), 'both sessions', 10_000);
		expect(text).not.toContain('cannot load');
		// newest activity first: open-audited is on top
		const lines = text.split('\n');
		await ui.press(...Array.from({length: lines.findIndex(l => l.includes('open-scheduled')) - lines.findIndex(l => l.includes('open-audited'))}, () => keys.down));
		await ui.press(keys.enter);
		text = await ui.waitForText('Session open-scheduled', 10_000);
		expect(text).not.toContain('cannot load');
		expect(text).toMatch(/· expiration_scheduled\s+.*ttl_hours=24/);
		expect(text).toMatch(/\+ created\s+status=active/);
	});
});
