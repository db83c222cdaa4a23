// Values an on-call engineer reads at a glance: one human duration, no 'in 0s'
// for the past, no number cut in half, the timeline newest first as it says,
// buckets in numeric order, one wording for a due step, '1 session'.
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {MonitorUnavailableError} from '../../source/monitor/monitorDatabase.js';
import {byNameAndLabels, type MetricLatest} from '../../source/queries/metrics.js';
import type {SessionDetail, SessionRow} from '../../source/queries/sessions.js';
import {RatesBar} from '../../source/ui/components/RatesBar.js';
import {ago, age, hours, until} from '../../source/ui/format.js';
import {statusFilters} from '../../source/ui/screens/Sessions.js';
import {keys, renderMonitor, sessionRow} from './render.js';

afterEach(() => cleanup());

const now = Date.now();
/** An archived, completed session. */
function archivedRow(overrides: Partial<SessionRow> = {}): SessionRow {
	return sessionRow(1, {
		sessionKey: 'only-one',
		status: 'completed',
		expiresAt: new Date(now - 60_000),
		archivedAt: new Date(now - 30_000),
		hoursSinceActivity: 2 + 5 / 60,
		lastLifecycleEvent: 'archived',
		lastLifecycleEventAt: new Date(now - 30_000),
		...overrides,
	});
}

const detail: SessionDetail = {
	...archivedRow({sessionKey: 'an-archived-session-with-a-rather-long-key-for-80-columns'}),
	metadata: {},
	snapshotCount: 0,
	pendingHandoffs: 0,
	schedule: {expiresAt: new Date(now - 60_000), dormantAt: new Date(now - 60_000), archiveAt: null, purgeAt: new Date(now + 86_400_000 * 30)},
	// as sql/queries/session_timeline.sql returns it: newest first
	timeline: [
		{id: 'e3', seq: '3', xid: '3', eventType: 'archived', eventData: {}, createdAt: new Date(now - 30_000)},
		{id: 'e2', seq: '2', xid: '2', eventType: 'status_changed', eventData: {old_status: 'active', new_status: 'completed'}, createdAt: new Date(now - 60_000)},
		{id: 'e1', seq: '1', xid: '1', eventType: 'created', eventData: {}, createdAt: new Date(now - 3600_000)},
	],
	recentPerformance: [],
};

describe('human values', () => {
	it('one duration format: 12s, 3m, 2h 5m; idle hours the same; the past never reads "in 0s"', () => {
		expect(age(12_000)).toBe('12s');
		expect(age(3 * 60_000)).toBe('3m');
		expect(age((2 * 60 + 5) * 60_000)).toBe('2h 5m');
		expect(age(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 4h');
		expect(hours(0.02)).toBe('1m');
		expect(hours(2 + 5 / 60)).toBe('2h 5m');
		expect(ago(new Date(now + 400), now)).toBe('0s ago');
		expect(until(new Date(now - 1000), now)).toBe('at next sweep');
	});

	it('histogram buckets sort numerically, +Inf last', () => {
		const row = (le: string) => ({name: 'latency_bucket', labels: {le}, type: 'histogram', value: 1, recordedAt: new Date()}) as MetricLatest;
		const sorted = ['+Inf', '10', '100', '5', '0.5'].map(row).sort(byNameAndLabels);
		expect(sorted.map(r => r.labels['le'])).toEqual(['0.5', '5', '10', '100', '+Inf']);
	});

	it('the retry countdown is said once: a screen error does not carry a second one', () => {
		const error = new MonitorUnavailableError({state: 'disconnected', retryInMs: 4000, lastError: 'connection refused'});
		expect(error.message).toBe('disconnected: connection refused');
	});

	it('the f cycle has every status written, paused included', () => {
		expect(statusFilters).toContain('paused');
	});

	it('the rates line leaves out a count that does not fit instead of cutting it in half', async () => {
		const counts = {
			sinceMinutes: 5,
			totals: {created: 10, expired: 3, archived: 2, dormant: 1, reactivated: 1, status_changed: 4},
			perMinute: {created: 12.4, expired: 0.6, archived: 0.4, dormant: 0.2, reactivated: 0.2, status_changed: 0.8},
			minutes: [],
		};
		for (const width of [50, 60, 70, 80]) {
			const ui = renderMonitor({element: <RatesBar counts={counts} stale={false} width={width} />});
			const text = (await ui.waitForText('events/min')).trimEnd();
			expect(text, `at ${width}`).toMatch(/^events\/min \(5m\) ( . [a-z]+ \d+(\.\d)?)+$/);
			cleanup();
		}
	});
});

describe('the session detail', () => {
	it('lists the timeline newest first, shows no expiry for an archived session, and keeps its two columns apart at 80', async () => {
		const ui = renderMonitor({
			size: {columns: 80, rows: 24},
			app: {initialScreen: 'sessions'},
			data: {sessionsPage: async () => ({rows: [archivedRow()], total: 1}), sessionDetail: async () => detail},
		});
		let text = await ui.waitForText('1 session ·');
		await ui.press(keys.enter);
		text = await ui.waitForText('Lifecycle (3 recent, newest first)');
		const lines = text.split('\n');
		const start = lines.findIndex(l => l.startsWith('Lifecycle'));
		const at = (wanted: string) => lines.findIndex((l, i) => i > start && l.includes(wanted));
		expect(at('# archived')).toBeGreaterThan(start);
		expect(at('# archived')).toBeLessThan(at('~ status'));
		expect(at('~ status')).toBeLessThan(at('+ created'));
		expect(text).toMatch(/expires\s+-/);
		expect(text).toMatch(/dormant due\s+-/);
		expect(text).not.toContain('due now');
		// a cut value on the left never touches the label on the right
		for (const line of lines.filter(l => l.startsWith('key'))) expect(line).toMatch(/…\s{2,}\S/);
	});
});

describe('help', () => {
	it('on Live events lists the list keys too', async () => {
		const ui = renderMonitor({size: {columns: 100, rows: 30}});
		await ui.waitForText('waiting for lifecycle events');
		await ui.press('?');
		const text = await ui.waitForText('Keys');
		for (const key of ['↑ k', '↓ j', 'PgUp', 'PgDn', 'Home', 'End']) expect(text).toContain(key);
	});
});
