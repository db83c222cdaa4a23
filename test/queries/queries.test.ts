import type pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
	dormantSessions,
	eventCounts,
	latencySeries,
	metricSeries,
	metricsLatest,
	performanceTable,
	recentEvents,
	schemaState,
	sessionDetail,
	sessionsPage,
} from '../../source/queries/index.js';
import {connect} from '../../source/db/connection.js';
import {counterRatePerMinute} from '../../source/queries/metrics.js';
import {useTestDatabase} from '../helpers/database.js';
import {seed, type Seeded} from './seed.js';

const db = useTestDatabase();
let seeded: Seeded;
let client: pg.Client;

beforeAll(async () => {
	seeded = await seed(db());
	// The monitor's own read-only connection, as the monitor uses it.
	client = await connect({dsn: db().url, purpose: 'monitor', component: '-test'});
});
afterAll(async () => client?.end());

const keys = (rows: Array<{sessionKey: string}>) => rows.map(row => row.sessionKey);

describe('sessionsPage', () => {
	it('sorts by last activity, pages, and counts', async () => {
		const all = await sessionsPage(client, {sort: 'last_activity', limit: 10, offset: 0});
		expect(keys(all.rows)).toEqual(['seed-a', 'seed-b', 'seed-c', 'seed-d', 'seed-e', 'seed-f']);
		expect(all.total).toBe(6);
		const page = await sessionsPage(client, {sort: 'last_activity', limit: 2, offset: 2});
		expect(keys(page.rows)).toEqual(['seed-c', 'seed-d']);
		expect(page.total).toBe(6);
		expect(all.rows[0]).toMatchObject({agentFrom: 'claude', agentTo: 'gpt', contextCount: 1, status: 'active', isDormant: false});
		expect(all.rows[0]!.hoursSinceActivity).toBeCloseTo(10 / 60, 1);
	});

	it('sorts by context entries, handoffs and creation', async () => {
		expect(keys((await sessionsPage(client, {sort: 'context', limit: 2, offset: 0})).rows)).toEqual(['seed-b', 'seed-a']);
		const byHandoffs = await sessionsPage(client, {sort: 'handoffs', limit: 1, offset: 0});
		expect(byHandoffs.rows[0]).toMatchObject({sessionKey: 'seed-c', handoffCount: 2});
		expect(keys((await sessionsPage(client, {sort: 'created', limit: 10, offset: 0})).rows).slice(-3)).toEqual(['seed-d', 'seed-e', 'seed-f']);
	});

	it('filters by status, dormant and archived', async () => {
		const completed = await sessionsPage(client, {sort: 'last_activity', status: 'completed', limit: 10, offset: 0});
		expect(keys(completed.rows)).toEqual(['seed-c']);
		expect(completed.total).toBe(1);
		const dormant = await sessionsPage(client, {sort: 'last_activity', status: 'dormant', limit: 10, offset: 0});
		expect(keys(dormant.rows)).toEqual(['seed-e']);
		const archived = await sessionsPage(client, {sort: 'last_activity', status: 'archived', limit: 10, offset: 0});
		expect(keys(archived.rows)).toEqual(['seed-f']);
		expect(archived.rows[0]!.archivedAt).toBeInstanceOf(Date);
		expect((await sessionsPage(client, {sort: 'last_activity', status: 'nonexistent', limit: 10, offset: 0})).total).toBe(0);
	});

	it('rejects bad parameters', async () => {
		await expect(sessionsPage(client, {sort: 'bogus' as 'created', limit: 10, offset: 0})).rejects.toThrow();
		await expect(sessionsPage(client, {sort: 'created', limit: 0, offset: 0})).rejects.toThrow();
	});
});

describe('sessionDetail', () => {
	it('returns fields, counts, timeline and recent performance logs', async () => {
		const detail = await sessionDetail(client, seeded.ids['seed-c']!);
		expect(detail).toMatchObject({sessionKey: 'seed-c', status: 'completed', handoffCount: 2, contextCount: 0, pendingHandoffs: 2});
		// newest first, as the detail view lists them
		expect(detail!.timeline.map(e => e.eventType)).toEqual(['status_changed', 'created']);
		expect(detail!.timeline[0]!.eventData).toMatchObject({old_status: 'active', new_status: 'completed'});
		expect(detail!.schedule.archiveAt).toBeInstanceOf(Date);

		const withLogs = await sessionDetail(client, seeded.ids['seed-a']!, {logLimit: 5});
		expect(withLogs!.recentPerformance).toHaveLength(5);
		expect(withLogs!.recentPerformance[0]).toMatchObject({operation: 'fast', success: true});
		expect(await sessionDetail(client, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
	});
});

describe('dormantSessions', () => {
	it('lists dormant sessions first, then what falls due soon, with the next step', async () => {
		const rows = await dormantSessions(client, {limit: 10});
		expect(rows[0]).toMatchObject({sessionKey: 'seed-e', isDormant: true, nextStep: 'expire'});
		expect(rows[0]!.hoursSinceActivity).toBeCloseTo(3, 1);
		// seed-d: idle 90 min under 'standard' (dormant after 2 h, activity recorded to 1 min) → dormant in about 31 min.
		const d = rows.find(row => row.sessionKey === 'seed-d');
		expect(d).toMatchObject({nextStep: 'dormant', overdue: false});
		const inMinutes = (d!.nextDueAt!.getTime() - Date.now()) / 60_000;
		expect(inMinutes).toBeGreaterThan(25);
		expect(inMinutes).toBeLessThan(35);
		// seed-c (completed 50 min ago) is archived 1 h after completion.
		expect(rows.find(row => row.sessionKey === 'seed-c')).toMatchObject({nextStep: 'archive'});
		// seed-a is fresh (dormant in 110 min is within 6 h), seed-f is archived.
		expect(keys(rows)).not.toContain('seed-f');
		expect((await dormantSessions(client, {limit: 10, horizonHours: 0.1})).map(r => r.sessionKey)).toEqual(['seed-e']);
	});
});

describe('performance', () => {
	it('gives per-operation calls, success rate, avg/p95/max and flags those below the threshold', async () => {
		const rows = await performanceTable(client, {threshold: 95});
		expect(rows.map(row => row.operation)).toEqual(['fast', 'flaky']);
		expect(rows[0]).toMatchObject({calls: 100, successRatePercent: 100, avgMs: 50.5, maxMs: 100, belowThreshold: false});
		// p95 from the latency histogram: within 4.5 % of the exact nearest-rank p95 (95)
		expect(Math.abs(rows[0]!.p95Ms - 95) / 95).toBeLessThanOrEqual(0.045);
		expect(rows[1]).toMatchObject({calls: 10, failedCalls: 1, successRatePercent: 90, belowThreshold: true});
		expect((await performanceTable(client, {threshold: 80}))[1]!.belowThreshold).toBe(false);
		await expect(performanceTable(client, {threshold: 101})).rejects.toThrow();
	});

	it('buckets p95 and call rate into the requested number of points', async () => {
		const series = await latencySeries(client, {window: '1h', points: 6});
		expect(series.operations.map(o => o.operation)).toEqual(['fast', 'flaky']);
		const fast = series.operations[0]!;
		expect(fast.p95Ms).toHaveLength(6);
		expect(fast.calls).toEqual([0, 0, 0, 0, 0, 100]);
		expect(fast.p95Ms.slice(0, 5)).toEqual([null, null, null, null, null]);
		expect(Math.abs(fast.p95Ms[5]! - 95) / 95).toBeLessThanOrEqual(0.045);
		expect(fast.callsPerMinute[5]).toBe(10); // 100 calls in a 10-minute bucket
		const flaky = series.operations[1]!;
		expect(flaky.calls).toEqual([10, 0, 0, 0, 0, 0]);
		expect(flaky.failures[0]).toBe(1);
		const wide = await latencySeries(client, {window: '24h', points: 73});
		expect(wide.operations[0]!.p95Ms).toHaveLength(73);
		expect(wide.operations[0]!.calls.reduce((a, b) => a + b, 0)).toBe(100);
		await expect(latencySeries(client, {window: '2h' as '1h', points: 10})).rejects.toThrow();
	});
});

describe('metrics', () => {
	it('gives the latest value per name and labels', async () => {
		const rows = await metricsLatest(client);
		expect(rows.map(r => [r.name, r.labels, r.value])).toEqual([
			['cpu', {host: 'a'}, 30],
			['cpu', {host: 'b'}, 70],
			['requests_total', {}, 1234],
		]);
	});

	it('gives a metric over time in buckets, for one label set or all', async () => {
		const a = await metricSeries(client, {name: 'cpu', labels: {host: 'a'}, window: '1h', points: 4});
		expect(a.avg).toEqual([10, null, 20, 30]); // 15-minute buckets: 50, 20 and 2 minutes ago
		expect(a.samples).toEqual([1, 0, 1, 1]);
		const all = await metricSeries(client, {name: 'cpu', window: '1h', points: 4});
		expect(all.avg[3]).toBe(50);
		expect(all.max[3]).toBe(70);
	});
});

describe('events', () => {
	it('counts events per type and minute', async () => {
		const counts = await eventCounts(client, {sinceMinutes: 15});
		expect(counts.totals.created).toBe(6);
		expect(counts.totals.dormant).toBe(1);
		expect(counts.totals.archived).toBe(1);
		expect(counts.totals.expired).toBe(1);
		expect(counts.totals.status_changed).toBe(1);
		expect(counts.perMinute.created).toBeCloseTo(6 / 15, 2);
		expect(counts.minutes.length).toBeGreaterThanOrEqual(1);
		const recent = await recentEvents(client, {limit: 3});
		expect(recent.map(e => e.eventType)).toEqual(['archived', 'dormant', 'expired']);
		expect(recent[0]!.sessionKey).toBe('seed-f');
	});

	it('says the schema is current', async () => {
		const state = await schemaState(client);
		expect(state.state).toBe('current');
		expect(state.pending).toEqual([]);
	});
});

describe('counterRatePerMinute', () => {
	it('turns a counter into its increase per minute, across gaps and restarts', () => {
		// 5-minute buckets: +50 over one bucket, a gap, +100 over two buckets, a restart at 30
		expect(counterRatePerMinute([100, 150, null, 250, 30], 300_000)).toEqual([null, 10, null, 10, 6]);
		expect(counterRatePerMinute([null, null], 60_000)).toEqual([null, null]);
	});
});
