// The database health line under the rates line, on every screen: whole
// segments that fit 80 columns, more detail at 120, and what the role cannot
// read said plainly (never a failure).
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {screenNames} from '../../source/monitor/monitorOptions.js';
import {type DatabaseHealth, healthText} from '../../source/queries/health.js';
import {renderMonitor} from './render.js';

afterEach(() => cleanup());

const busy: DatabaseHealth = {
	measuredAt: new Date(),
	connections: 187,
	maxConnections: 200,
	transactions: 123_456,
	tps: 1234.4,
	oldestXact: {ageMs: 125_000, pid: 123_456},
	oldestXactReadable: true,
	waitingLocks: 12,
	replication: {role: 'primary', replicas: 2, lagMs: 34_000},
};
const monitorRole: DatabaseHealth = {...busy, oldestXact: null, oldestXactReadable: false, replication: {role: 'primary', replicas: 1, lagMs: null}};

describe('the health line', () => {
	it('at 80 columns: short labels, every segment whole', () => {
		const line = healthText(busy, 34_000, 80);
		expect(line).toBe('conn 187/200 · 1234 tps · xact 2m · 12 lock waits · repl lag 34s · feed lag 34s');
		expect(line.length).toBeLessThanOrEqual(80);
	});

	it('at 120 columns: long labels and the oldest transaction’s pid', () => {
		const line = healthText(busy, 0, 120);
		expect(line).toBe('connections 187/200 · 1234 tps · oldest xact 2m (pid 123456) · 12 waiting on locks · replica lag 34s · feed lag 0s');
		expect(line.length).toBeLessThanOrEqual(120);
	});

	it('says what the monitor role cannot read: after each value, or once at the end when that does not fit', () => {
		expect(healthText(monitorRole, 0, 120)).toBe('conn 187/200 · 1234 tps · xact n/a (needs pg_monitor) · 12 lock waits · repl lag n/a (needs pg_monitor) · feed lag 0s');
		// the least useful segments (tps, the feed's lag) go before the note does
		expect(healthText(monitorRole, 34_000, 80)).toBe('conn 187/200 · xact n/a · 12 lock waits · repl lag n/a · n/a: needs pg_monitor');
		const small = {...monitorRole, connections: 7, maxConnections: 100, tps: 12, waitingLocks: 0, replication: null};
		expect(healthText(small, 0, 80)).toBe('conn 7/100 · 12 tps · xact n/a (needs pg_monitor) · 0 lock waits · feed lag 0s');
		expect(healthText(small, 0, 120)).toBe('connections 7/100 · 12 tps · oldest xact n/a (needs pg_monitor) · 0 waiting on locks · feed lag 0s');
	});

	it('leaves out the replication part without a replica, and counts one lock wait in the singular', () => {
		const line = healthText({...busy, replication: null, waitingLocks: 1, tps: 2.25, oldestXact: null}, 'down', 80);
		expect(line).toBe('conn 187/200 · 2.3 tps · xact none · 1 lock wait · feed down');
	});

	it('drops whole segments from the end rather than cut one', () => {
		const line = healthText({...monitorRole, connections: 1000, maxConnections: 1000, replication: {role: 'standby', replicas: 0, lagMs: null}}, 'down', 70);
		expect(line.length).toBeLessThanOrEqual(70);
		expect(line).toMatch(/ · n\/a: needs pg_monitor$/);
		expect(line.split(' · ').every(part => /^(conn \d+\/\d+|\d+ tps|xact n\/a|\d+ lock waits?|replay lag n\/a|feed down|n\/a: needs pg_monitor)$/.test(part))).toBe(true);
	});

	it('is on every screen under the rates line, at 80 and at 120 columns', async () => {
		for (const columns of [80, 120]) {
			const ui = renderMonitor({size: {columns, rows: 30}, data: {databaseHealth: async () => busy}});
			for (const [index] of screenNames.entries()) {
				await ui.press(String(index + 1));
				const text = await ui.waitFor(t => t.split('\n')[2]!.startsWith(columns === 80 ? 'conn 187/200' : 'connections 187/200'), `the health line at ${columns}`);
				expect(text.split('\n')[2]!.trimEnd().length).toBeLessThanOrEqual(columns);
			}

			cleanup();
		}
	});

	it('says when it cannot read the health, and keeps the last line marked stale after a failure', async () => {
		let fail = true;
		const ui = renderMonitor({app: {intervalMs: 500}, data: {databaseHealth: async () => {
			if (fail) throw new Error('permission denied for function pg_stat_get_activity');
			return busy;
		}}});
		await ui.waitForText('database health: cannot read (permission denied for function pg_stat_get_activity)');
		fail = false;
		await ui.waitForText('conn 187/200');
		fail = true;
		await ui.waitForText(/conn 187\/200 .* \(stale\)/);
	});
});
