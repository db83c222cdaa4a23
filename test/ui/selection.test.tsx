// The selection follows the session (by id) when a live list re-sorts or is
// filtered: Enter opens, and r/a ask about, the session that is highlighted.
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import type {DormantRow} from '../../source/queries/dormant.js';
import {keys, renderMonitor, selectedKey, sessionRow, until} from './render.js';

afterEach(() => cleanup());

const now = Date.now();
function dormantRow(key: string, n: number): DormantRow {
	return {
		id: `30000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
		sessionKey: key,
		agentFrom: 'claude',
		agentTo: null,
		status: 'active',
		isDormant: true,
		retentionPolicy: 'standard',
		lastActivityAt: new Date(now - n * 3600_000),
		hoursSinceActivity: n,
		nextStep: 'expire',
		nextDueAt: new Date(now + 3600_000),
		overdue: false,
	};
}

describe('selection follows the session', () => {
	it('on Dormant across a re-sort: the › stays on the session, Enter opens it and a asks about it', async () => {
		const alpha = dormantRow('alpha', 1);
		const beta = dormantRow('beta', 2);
		const gamma = dormantRow('gamma', 3);
		let order = [alpha, beta, gamma];
		let loads = 0;
		const opened: string[] = [];
		const ui = renderMonitor({
			write: true,
			app: {initialScreen: 'dormant', intervalMs: 500},
			data: {
				dormantSessions: async () => {
					loads++;
					return order;
				},
				sessionDetail: async id => void opened.push(id),
			},
		});
		await ui.waitForText('gamma');
		await ui.press(keys.down);
		await ui.waitFor(text => selectedKey(text) === 'beta', 'beta selected');
		// beta moves to the bottom and alpha to the middle: the row number now points at another session
		order = [gamma, alpha, beta];
		const before = loads;
		await until(() => loads > before + 1, 'two refreshes');
		const text = await ui.waitFor(t => t.indexOf('gamma') < t.indexOf('alpha'), 'the re-sorted list');
		expect(selectedKey(text)).toBe('beta');
		await ui.press('a');
		await ui.waitForText(/archive session beta\b.*\[y\/n\]/);
		await ui.press('n');
		await ui.waitForText('cancelled');
		await ui.press(keys.enter);
		await until(() => opened.length > 0, 'the detail to load');
		expect(opened).toEqual([beta.id]);
	});

	it('on Sessions across a re-sort and a status filter', async () => {
		const rows = ['s-one', 's-two', 's-three', 's-four'].map((key, i) => sessionRow(i + 1, {sessionKey: key}));
		let order = rows;
		let loads = 0;
		const opened: string[] = [];
		const ui = renderMonitor({
			app: {initialScreen: 'sessions', intervalMs: 500},
			data: {
				async sessionsPage(params) {
					loads++;
					const matching = params.status === 'active' ? order.filter(r => r.sessionKey !== 's-one') : order;
					return {rows: matching.slice(params.offset, params.offset + params.limit), total: matching.length};
				},
				sessionDetail: async id => void opened.push(id),
			},
		});
		await ui.waitForText('s-four');
		await ui.press(keys.down, keys.down);
		await ui.waitFor(text => selectedKey(text) === 's-three', 's-three selected');
		order = [rows[2]!, rows[3]!, rows[0]!, rows[1]!];
		let before = loads;
		await until(() => loads > before + 1, 'two refreshes');
		let text = await ui.waitFor(t => t.indexOf('s-three') < t.indexOf('s-one'), 'the re-sorted list');
		expect(selectedKey(text)).toBe('s-three');
		// a filter: s-one drops out, s-three is still there and still selected
		await ui.press('f');
		text = await ui.waitForText('status: active');
		before = loads;
		await until(() => loads > before, 'the filtered page');
		text = await ui.waitFor(t => !t.includes('s-one'), 'the filtered list');
		expect(selectedKey(text)).toBe('s-three');
		await ui.press(keys.enter);
		await until(() => opened.length > 0, 'the detail to load');
		expect(opened).toEqual([rows[2]!.id]);
	});

	it('on a list nobody moved the › on, it stays on the top row (Sessions opened does not page after its first row); Enter opens the row shown', async () => {
		const rows = ['t-one', 't-two', 't-three', 't-four'].map((key, i) => sessionRow(i + 1, {sessionKey: key}));
		let order = rows;
		let loads = 0;
		const located: string[] = [];
		const opened: string[] = [];
		const ui = renderMonitor({
			app: {initialScreen: 'sessions', intervalMs: 500},
			data: {
				async sessionsPage(params) {
					loads++;
					return {rows: order.slice(params.offset, params.offset + params.limit), total: order.length};
				},
				async sessionPosition(params) {
					located.push(params.id);
					return order.findIndex(r => r.id === params.id);
				},
				sessionDetail: async id => void opened.push(id),
			},
		});
		await ui.waitFor(text => selectedKey(text) === 't-one', 't-one on top, selected');
		// t-one becomes the last: the top row is t-two now, and the › with it
		order = [rows[1]!, rows[2]!, rows[3]!, rows[0]!];
		const before = loads;
		await until(() => loads > before + 1, 'two refreshes');
		const text = await ui.waitFor(t => t.indexOf('t-two') < t.indexOf('t-one'), 'the re-sorted list');
		expect(selectedKey(text)).toBe('t-two');
		expect(located).toEqual([]);
		await ui.press(keys.enter);
		await until(() => opened.length > 0, 'the detail to load');
		expect(opened).toEqual([rows[1]!.id]);
	});
});
