// What reading the monitor at 80x24 in tmux found: one idle column on
// Sessions (an 'active … ago' beside it said the same), its headers whole, the
// session detail's timestamps whole, and a selected session followed to the
// page it moved to.
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import type {SessionDetail} from '../../source/queries/sessions.js';
import {dateTime} from '../../source/ui/format.js';
import {keys, renderMonitor, selectedKey, sessionRow, until} from './render.js';

afterEach(() => cleanup());

const now = Date.now();

describe('Sessions at 80 columns', () => {
	it('has one idle column (time since the last activity) and every header whole', async () => {
		const row = sessionRow(1, {lastActivityAt: new Date(now - 125_000), updatedAt: new Date(now - 125_000), createdAt: new Date(now - 3 * 3600_000), handoffCount: 3});
		const ui = renderMonitor({size: {columns: 80, rows: 24}, app: {initialScreen: 'sessions'}, data: {sessionsPage: async () => ({rows: [row], total: 1})}});
		const text = await ui.waitForText('session-1');
		const lines = text.split('\n');
		const header = lines.find(line => line.includes('session') && line.includes('agents'))!;
		expect(header.trim().split(/\s+/)).toEqual(['session', 'agents', 'status', 'idle', 'created', 'ctx', 'handoffs']);
		const line = lines.find(l => l.includes('session-1 '))!;
		expect(line).toMatch(/ active +2m +3h ago +1 +3$/);
	});
});

describe('the session detail at 80x24', () => {
	it('shows the id and the created and last activity timestamps whole', async () => {
		const created = new Date(now - 3 * 3600_000);
		const active = new Date(now - 90_000);
		const detail: SessionDetail = {
			...sessionRow(7, {createdAt: created, lastActivityAt: active, updatedAt: active}),
			metadata: {},
			snapshotCount: 2,
			pendingHandoffs: 1,
			schedule: {expiresAt: new Date(now + 3600_000 * 5), dormantAt: new Date(now + 3600_000), archiveAt: null, purgeAt: null},
			timeline: [],
			recentPerformance: [],
		};
		const ui = renderMonitor({
			size: {columns: 80, rows: 24},
			app: {initialScreen: 'sessions'},
			data: {sessionsPage: async () => ({rows: [sessionRow(7)], total: 1}), sessionDetail: async () => detail},
		});
		await ui.waitForText('session-7');
		await ui.press(keys.enter);
		const text = await ui.waitForText('Lifecycle');
		expect(text).toMatch(new RegExp(`created +${dateTime(created)} \\(3h ago\\)`));
		expect(text).toMatch(new RegExp(`last activity +${dateTime(active)} \\(1m ago\\)`));
		expect(text).toMatch(new RegExp(`id +${detail.id}`));
		for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
	});

	it('keeps them in the two columns where they fit (120 columns)', async () => {
		const detail: SessionDetail = {
			...sessionRow(7),
			metadata: {},
			snapshotCount: 0,
			pendingHandoffs: 0,
			schedule: {expiresAt: null, dormantAt: null, archiveAt: null, purgeAt: null},
			timeline: [],
			recentPerformance: [],
		};
		const ui = renderMonitor({
			size: {columns: 120, rows: 36},
			app: {initialScreen: 'sessions'},
			data: {sessionsPage: async () => ({rows: [sessionRow(7)], total: 1}), sessionDetail: async () => detail},
		});
		await ui.waitForText('session-7');
		await ui.press(keys.enter);
		const text = await ui.waitForText('Lifecycle');
		expect(text.split('\n').some(line => /^created +\S+ \S+ \(1h ago\) +archive due +-/.test(line))).toBe(true);
		expect(text.split('\n').some(line => /^last activity +\S+ \S+ \(1m ago\) +purge due +-/.test(line))).toBe(true);
		expect(text).toMatch(new RegExp(`^id +${detail.id} +handoffs`, 'm'));
	});
});

describe('the selection follows a session to another page', () => {
	it('when the selected session moves to page 2, the page follows it and Enter opens it', async () => {
		const rows = Array.from({length: 40}, (_, i) => sessionRow(i + 1, {sessionKey: `s-${String(i + 1).padStart(2, '0')}`}));
		let order = rows;
		let loads = 0;
		const opened: string[] = [];
		const ui = renderMonitor({
			size: {columns: 80, rows: 24},
			app: {initialScreen: 'sessions', intervalMs: 500},
			data: {
				async sessionsPage(params) {
					loads++;
					return {rows: order.slice(params.offset, params.offset + params.limit), total: order.length};
				},
				sessionPosition: async ({id}) => {
					const at = order.findIndex(row => row.id === id);
					return at === -1 ? undefined : at;
				},
				sessionDetail: async id => void opened.push(id),
			},
		});
		await ui.waitForText('page 1/3');
		await ui.press(keys.down, keys.down);
		await ui.waitFor(text => selectedKey(text) === 's-03', 's-03 selected');
		// others become active: s-03 moves to row 21 (page 2 of 16-row pages)
		const moved = rows[2]!;
		order = [...rows.slice(0, 2), ...rows.slice(3, 21), moved, ...rows.slice(21)];
		const before = loads;
		await until(() => loads > before + 1, 'refreshes');
		const text = await ui.waitFor(t => t.includes('page 2/3') && selectedKey(t) === 's-03', 'page 2 with s-03 selected');
		expect(text).toContain('s-03');
		await ui.press(keys.enter);
		await until(() => opened.length > 0, 'the detail to load');
		expect(opened).toEqual([moved.id]);
	});

	it('falls back to the row number when the session is gone', async () => {
		const rows = Array.from({length: 5}, (_, i) => sessionRow(i + 1, {sessionKey: `t-${i + 1}`}));
		let order = rows;
		const ui = renderMonitor({
			size: {columns: 80, rows: 24},
			app: {initialScreen: 'sessions', intervalMs: 500},
			data: {
				sessionsPage: async params => ({rows: order.slice(params.offset, params.offset + params.limit), total: order.length}),
				sessionPosition: async ({id}) => (order.some(row => row.id === id) ? order.findIndex(row => row.id === id) : undefined),
			},
		});
		await ui.waitForText('t-5');
		await ui.press(keys.down);
		await ui.waitFor(text => selectedKey(text) === 't-2', 't-2 selected');
		order = rows.filter(row => row.sessionKey !== 't-2');
		await ui.waitFor(text => !text.includes('t-2') && selectedKey(text) === 't-3', 'the next row selected');
	});
});
