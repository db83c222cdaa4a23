// The monitor's screens and keys, on services the test controls.
import {afterEach, describe, expect, it, vi} from 'vitest';
import {cleanup} from 'ink-testing-library';
import type {SessionDetail, SessionRow} from '../../source/queries/sessions.js';
import type {DormantRow} from '../../source/queries/dormant.js';
import type {PerformanceRow} from '../../source/queries/performance.js';
import {keymap} from '../../source/ui/keymap.js';
import {keys, lifecycleEvent, renderMonitor, sessionRow, until} from './render.js';

// Colour codes must be produced for the NO_COLOR test to mean anything.
vi.hoisted(() => {
	process.env['FORCE_COLOR'] = '1';
});

afterEach(() => cleanup());

const now = Date.now();

describe('keymap', () => {
	it('binds no key twice where two scopes are active together', () => {
		const together = [
			['global', 'events'],
			['global', 'list', 'sessions'],
			['global', 'sessionDetail'],
			['global', 'list', 'dormant'],
			['global', 'list', 'performance'],
			['global', 'list', 'metrics'],
			['global', 'list', 'schema'],
		];
		for (const scopes of together) {
			const seen = new Map<string, string>();
			for (const binding of keymap.filter(b => scopes.includes(b.scope))) {
				for (const key of binding.keys) {
					expect(seen.get(key), `${key} in ${scopes.join('+')}`).toBeUndefined();
					seen.set(key, binding.action);
				}
			}
		}
	});
});

describe('live events', () => {
	it('shows events newest first with a symbol per type, and the key hint', async () => {
		const ui = renderMonitor();
		await ui.waitForText('waiting for lifecycle events');
		ui.hub.publish([
			lifecycleEvent({sessionKey: 'alpha', eventType: 'created'}),
			lifecycleEvent({sessionKey: 'beta', eventType: 'status_changed', eventData: {old_status: 'active', new_status: 'completed'}}),
		]);
		const text = await ui.waitForText('beta');
		const lines = text.split('\n');
		expect(lines.findIndex(l => l.includes('beta'))).toBeLessThan(lines.findIndex(l => l.includes('alpha')));
		expect(text).toContain('+ created');
		expect(text).toContain('~ status');
		expect(text).toContain('active→completed');
		expect(text).toMatch(/\/ filter\s+Space pause/);
	});

	it('filters by type, session or agent with /, and Esc clears', async () => {
		const ui = renderMonitor();
		ui.hub.publish([
			lifecycleEvent({sessionKey: 'alpha', agentFrom: 'claude'}),
			lifecycleEvent({sessionKey: 'beta', agentFrom: 'gemini', eventType: 'dormant', eventData: {inactive_hours: 3}}),
		]);
		await ui.waitForText('beta');
		await ui.press('/', 'g', 'e', 'm');
		let text = await ui.waitForText('filter: gem');
		expect(text).toContain('beta');
		expect(text).not.toContain('alpha');
		await ui.press(keys.enter);
		await ui.press(keys.escape);
		text = await ui.waitFor(t => t.includes('alpha') && !t.includes('filter:'), 'the filter cleared');
		await ui.press('/', 'd', 'o', 'r', 'm', keys.enter);
		text = await ui.waitForText('filter: dorm');
		expect(text).toContain('beta');
		expect(text).not.toContain('alpha');
	});

	it('pauses with Space while events keep arriving (+N new), and resumes', async () => {
		const ui = renderMonitor();
		ui.hub.publish([lifecycleEvent({sessionKey: 'before-pause'})]);
		await ui.waitForText('before-pause');
		await ui.press(' ');
		await ui.waitForText('PAUSED +0 new');
		ui.hub.publish([lifecycleEvent({sessionKey: 'during-1'}), lifecycleEvent({sessionKey: 'during-2'})]);
		const text = await ui.waitForText('PAUSED +2 new');
		expect(text).not.toContain('during-1');
		await ui.press(' ');
		const resumed = await ui.waitForText('during-2');
		expect(resumed).not.toContain('PAUSED');
	});

	it('scrolls back through older events (which pauses the list), opens the selected session with Enter, and Space returns to the newest', async () => {
		const opened: string[] = [];
		const ui = renderMonitor({data: {sessionDetail: async id => void opened.push(id)}});
		const published = Array.from({length: 60}, (_, i) => lifecycleEvent({sessionKey: `old-${i}`}));
		ui.hub.publish(published);
		await ui.waitForText('old-59');
		expect(ui.text()).not.toContain('old-0 ');
		// down through the list: pauses, and the window follows the selection to the oldest rows
		await ui.press('G');
		let text = await ui.waitForText('PAUSED +0 new');
		text = await ui.waitForText('60/60');
		expect(text).toContain('old-0 ');
		expect(text).not.toContain('old-59');
		ui.hub.publish([lifecycleEvent({sessionKey: 'arrived-meanwhile'})]);
		await ui.waitForText('PAUSED +1 new');
		await ui.press('k', 'k');
		await ui.waitForText('58/60');
		await ui.press(keys.enter);
		await until(() => opened.length === 1);
		expect(opened[0]).toBe(published[2]!.sessionId);
		await ui.press(keys.escape);
		await ui.waitForText('Live events');
		await ui.press(' ');
		text = await ui.waitForText('arrived-meanwhile');
		expect(text).not.toContain('PAUSED');
		expect(text).not.toContain('old-0 ');
	});

	it('keeps the events when switching screens and back', async () => {
		const ui = renderMonitor();
		ui.hub.publish([lifecycleEvent({sessionKey: 'kept-across'})]);
		await ui.waitForText('kept-across');
		await ui.press('2');
		await ui.waitForText('Sessions · sort');
		ui.hub.publish([lifecycleEvent({sessionKey: 'while-away'})]);
		await ui.press('1');
		const text = await ui.waitForText('while-away');
		expect(text).toContain('kept-across');
	});

	it('asks the feed for reads as often as the list shows them: 250 ms on Live events, the refresh interval elsewhere and under help', async () => {
		const ui = renderMonitor();
		await until(() => ui.feedPaces().at(-1) === 250, 'live pace on Live events');
		await ui.press('2');
		await until(() => ui.feedPaces().at(-1) === 2000, 'the refresh interval on Sessions');
		await ui.press('-');
		await until(() => ui.feedPaces().at(-1) === 1000, 'the new interval');
		await ui.press('1');
		await until(() => ui.feedPaces().at(-1) === 250, 'live again on Live events');
		await ui.press('?');
		await until(() => ui.feedPaces().at(-1) === 1000, 'help covers the list');
		await ui.press(keys.escape);
		await until(() => ui.feedPaces().at(-1) === 250, 'live after help');
	});

	it('counts what arrived while paused and on another screen, and shows it on resuming', async () => {
		const ui = renderMonitor();
		ui.hub.publish([lifecycleEvent({sessionKey: 'seen-first'})]);
		await ui.waitForText('seen-first');
		await ui.press(' ');
		await ui.waitForText('PAUSED +0 new');
		await ui.press('2');
		await ui.waitForText('Sessions · sort');
		ui.hub.publish([lifecycleEvent({sessionKey: 'away-1'}), lifecycleEvent({sessionKey: 'away-2'}), lifecycleEvent({sessionKey: 'away-3'})]);
		await ui.press('1');
		const text = await ui.waitForText('PAUSED +3 new');
		expect(text).not.toContain('away-1');
		await ui.press(' ');
		expect(await ui.waitForText('away-3')).toContain('seen-first');
	});

	it('renders a burst of thousands of events in a few frames, keeping only what fits', async () => {
		const ui = renderMonitor();
		await ui.waitForText('waiting for lifecycle events');
		const before = ui.frames.length;
		for (let batch = 0; batch < 20; batch++) {
			ui.hub.publish(Array.from({length: 250}, (_, i) => lifecycleEvent({sessionKey: `burst-${batch}-${i}`})));
		}

		const text = await ui.waitForText('burst-19-249');
		expect(ui.frames.length - before).toBeLessThan(10);
		expect(text).not.toContain('burst-0-0 ');
		expect(text.split('\n').length).toBeLessThanOrEqual(29);
	});
});

describe('navigation and help', () => {
	it('switches screens with numbers, Tab, Shift-Tab and :name', async () => {
		const ui = renderMonitor();
		await ui.waitForText('Live events');
		await ui.press('2');
		await ui.waitForText('Sessions · sort');
		await ui.press(keys.tab);
		await ui.waitForText('Dormant ·');
		await ui.press(keys.shiftTab, keys.shiftTab);
		await ui.waitForText('Live events');
		await ui.press(':', 'p', 'e', 'r', 'f', keys.enter);
		await ui.waitForText('Performance · last 24h');
		await ui.press(':', 'n', 'o', 'p', 'e', keys.enter);
		await ui.waitForText("no screen named 'nope'");
		await ui.press('6');
		await ui.waitForText('schema up to date');
	});

	it('opens help with ? and closes it with Esc', async () => {
		const ui = renderMonitor();
		await ui.waitForText('Live events');
		await ui.press('?');
		const help = await ui.waitForText('Keys — Esc closes');
		expect(help).toContain('pause / resume');
		expect(help).toContain('quit');
		await ui.press(keys.escape);
		await ui.waitFor(t => t.includes('Live events') && !t.includes('Keys — Esc'), 'help closed');
	});

	it('quits with q and with Ctrl-C', async () => {
		for (const key of ['q', keys.ctrlC]) {
			const onQuit = vi.fn();
			const ui = renderMonitor({app: {onQuit}});
			await ui.waitForText('Live events');
			await ui.press(key);
			expect(onQuit).toHaveBeenCalledOnce();
		}
	});

	it('shows the refresh interval and changes it as pg_activity does: + longer, - shorter; h opens help', async () => {
		const ui = renderMonitor();
		await ui.waitForText('every 2s');
		await ui.press('-');
		await ui.waitForText('every 1s');
		await ui.press('-', '-');
		await ui.waitForText('every 0.5s');
		await ui.press('+', '+', '+', '+');
		await ui.waitForText('every 10s');
		await ui.press('h');
		await ui.waitForText('Keys — Esc closes');
		await ui.press('h');
		await ui.waitFor(text => !text.includes('Keys — Esc closes'), 'help closed');
	});
});

describe('terminal size and colour', () => {
	it('says the terminal is too small below 80×24 and re-lays out on resize', async () => {
		const ui = renderMonitor({size: {columns: 70, rows: 20}});
		await ui.waitForText('terminal too small — need 80×24, have 70×20');
		ui.resize(90, 26);
		const text = await ui.waitForText('Live events');
		expect(text.split('\n').length).toBeLessThanOrEqual(25);
		ui.resize(100, 23);
		await ui.waitForText('have 100×23');
	});

	it('keeps the frame below the terminal height', async () => {
		const ui = renderMonitor({size: {columns: 80, rows: 24}});
		ui.hub.publish(Array.from({length: 100}, () => lifecycleEvent()));
		await ui.waitForText('sess-');
		expect(ui.lastFrame()!.split('\n').length).toBeLessThanOrEqual(23);
		for (const line of ui.text().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
	});

	it('uses no colour codes without colour (NO_COLOR), symbols still tell event types apart', async () => {
		const colour = renderMonitor();
		colour.hub.publish([lifecycleEvent({eventType: 'expired', eventData: {old_status: 'active', new_status: 'expired'}})]);
		await colour.waitForText('x expired');
		expect(colour.lastFrame()).toMatch(/\u001B\[3[0-9]m/);
		const plain = renderMonitor({color: false});
		plain.hub.publish([lifecycleEvent({eventType: 'expired', eventData: {old_status: 'active', new_status: 'expired'}})]);
		await plain.waitForText('x expired');
		expect(plain.lastFrame()).not.toMatch(/\u001B\[(3[0-9]|9[0-7]|4[0-9])(;[0-9]+)*m/);
		expect(plain.lastFrame()).toContain('[1 Events]');
	});
});

describe('connection status', () => {
	it('keeps stale data on screen, marked, while disconnected', async () => {
		let fail = false;
		const ui = renderMonitor({
			data: {
				async sessionsPage() {
					if (fail) throw new Error('connection refused');
					return {rows: [sessionRow(1), sessionRow(2)], total: 2};
				},
			},
			app: {initialScreen: 'sessions', intervalMs: 500},
		});
		await ui.waitForText('session-2');
		fail = true;
		ui.status.set({
			database: {state: 'disconnected', retryInMs: 4000, lastError: 'connection refused', lastSuccessAt: new Date(Date.now() - 35_000), at: Date.now()},
			feed: {state: 'disconnected', retryInMs: 4000, at: Date.now()},
		});
		const text = await ui.waitForText('(stale)');
		expect(text).toMatch(/disconnected — retrying in [34]s · data 3[5-7]s old \(stale, kept\)/);
		expect(text).toContain('session-1');
		expect(text).toContain('session-2');
	});

	it('shows when a long transaction holds the event feed back', async () => {
		const ui = renderMonitor({feed: {state: 'live', heldBackBy: {xid: '777', ageMs: 42_000}}});
		await ui.waitForText('events held back 42s by open transaction 777');
	});
});

describe('sessions', () => {
	const detail: SessionDetail = {
		...sessionRow(7),
		metadata: {},
		snapshotCount: 2,
		pendingHandoffs: 1,
		schedule: {expiresAt: new Date(now + 3600_000 * 5), dormantAt: new Date(now + 3600_000), archiveAt: null, purgeAt: null},
		timeline: [
			{id: 'e1', seq: '1', xid: '1', eventType: 'status_changed', eventData: {old_status: 'active', new_status: 'paused'}, createdAt: new Date(now - 1000)},
			{id: 'e2', seq: '2', xid: '2', eventType: 'created', eventData: {}, createdAt: new Date(now - 3600_000)},
		],
		recentPerformance: [{id: 'p1', operation: 'update_context', durationMs: 42, success: false, metadata: {}, createdAt: new Date(now - 5000)}],
	};

	it('pages, sorts, filters by status, and opens a session with Enter', async () => {
		const calls: Array<{sort: string; status?: string; offset: number; limit: number}> = [];
		const ui = renderMonitor({
			write: false,
			data: {
				async sessionsPage(params) {
					calls.push({sort: params.sort, offset: params.offset, limit: params.limit, ...(params.status ? {status: params.status} : {})});
					const rows = Array.from({length: Math.min(params.limit, 60 - params.offset)}, (_, i) => sessionRow(params.offset + i + 1));
					return {rows, total: 60};
				},
				sessionDetail: async id => (id === sessionRow(7).id ? detail : undefined),
			},
			app: {initialScreen: 'sessions'},
		});
		await ui.waitForText('session-1 ');
		await ui.waitForText('page 1/3');
		await ui.press(keys.escape, '\u001B[6~');
		await ui.waitForText('page 2/3');
		await until(() => calls.at(-1)?.offset === 22); // 30 rows: one kept free, 4 header lines, the footer, the list's title and header
		await ui.press('g');
		await ui.waitForText('page 1/3');
		await ui.press('s');
		await ui.waitForText('sort: created');
		await until(() => calls.at(-1)?.sort === 'created');
		await ui.press('f');
		await ui.waitForText('status: active');
		await until(() => calls.at(-1)?.status === 'active');
		await ui.press('/', 'e', 'x', 'p', 'i', 'r', 'e', 'd', keys.enter);
		await ui.waitForText('status: expired');
		await until(() => calls.at(-1)?.status === 'expired');
		// Six presses of j arriving in one read (fast typing over a slow link), then Enter.
		await ui.press('jjjjjj', keys.enter);
		const text = await ui.waitForText('Session session-7');
		expect(text).toContain('Lifecycle (2 recent');
		expect(text).toContain('active→paused');
		expect(text).toContain('FAILED');
		expect(text).toMatch(/handoffs\s+1 \(1 pending\)/);
		await ui.press(keys.escape);
		await ui.waitForText('Sessions · sort');
	});

	it('refuses to archive without --write and says why', async () => {
		const ui = renderMonitor({
			data: {sessionsPage: async () => ({rows: [sessionRow(7)], total: 1}), sessionDetail: async () => detail},
			app: {initialScreen: 'sessions'},
		});
		await ui.waitForText('session-7');
		await ui.press(keys.enter);
		await ui.waitForText('Session session-7');
		await ui.press('a');
		const text = await ui.waitForText('refused');
		expect(text).toContain('archive session session-7');
		expect(text).toContain('--write');
		expect(ui.performed).toEqual([]);
	});
});

describe('dormant and writing actions', () => {
	const dormant: DormantRow = {
		id: '30000000-0000-4000-8000-000000000001',
		sessionKey: 'sleepy',
		agentFrom: 'claude',
		agentTo: null,
		status: 'active',
		isDormant: true,
		retentionPolicy: 'standard',
		lastActivityAt: new Date(now - 3 * 3600_000),
		hoursSinceActivity: 3,
		nextStep: 'expire',
		nextDueAt: new Date(now - 1000),
		overdue: true,
	};

	it('lists dormant sessions with idle hours and what happens next', async () => {
		const ui = renderMonitor({data: {dormantSessions: async () => [dormant]}, app: {initialScreen: 'dormant'}});
		const text = await ui.waitForText('sleepy');
		expect(text).toMatch(/sleepy\s+dormant\s+standard\s+3h\s+expires at next sweep/);
	});

	it('refuses the sweep without --write, asks y/n with --write, and runs it on y only', async () => {
		const readOnly = renderMonitor({data: {dormantSessions: async () => [dormant]}, app: {initialScreen: 'dormant'}});
		await readOnly.waitForText('sleepy');
		await readOnly.press('x');
		await readOnly.waitForText('refused: read-only — start handoff-top with --write to run the lifecycle sweep');
		expect(readOnly.performed).toEqual([]);

		const writing = renderMonitor({write: true, data: {dormantSessions: async () => [dormant]}, app: {initialScreen: 'dormant'}});
		await writing.waitForText('WRITE');
		await writing.waitForText('sleepy');
		await writing.press('r');
		await writing.waitForText('reactivate session sleepy? [y/n]');
		await writing.press('n');
		await writing.waitForText('cancelled');
		expect(writing.performed).toEqual([]);
		await writing.press('x');
		await writing.waitForText('[y/n]');
		await writing.press('y');
		await writing.waitForText('sweep done');
		expect(writing.performed).toEqual(['sweep']);
	});
});

describe('performance, metrics, schema', () => {
	const rows: PerformanceRow[] = [
		{operation: 'register_session', calls: 1200, successfulCalls: 1100, failedCalls: 100, successRatePercent: 91.67, avgMs: 20, minMs: 1, maxMs: 900, p95Ms: 120, lastCallAt: new Date(now - 2000), belowThreshold: true},
		{operation: 'update_context', calls: 5000, successfulCalls: 5000, failedCalls: 0, successRatePercent: 100, avgMs: 5, minMs: 1, maxMs: 50, p95Ms: 12, lastCallAt: new Date(now - 1000), belowThreshold: false},
	];

	it('flags operations under the threshold and charts p95 and call rate sized to the width', async () => {
		const windows: string[] = [];
		const points: number[] = [];
		const ui = renderMonitor({
			size: {columns: 120, rows: 36},
			data: {
				performanceTable: async () => rows,
				async latencySeries(params) {
					windows.push(params.window);
					points.push(params.points);
					return {
						window: params.window,
						startsAt: new Date(),
						endsAt: new Date(),
						bucketMs: 60_000,
						operations: [
							{
								operation: 'register_session',
								p95Ms: Array.from({length: params.points}, (_, i) => (i % 2 ? 100 : null)),
								callsPerMinute: Array.from({length: params.points}, (_, i) => i),
								calls: [],
								failures: [],
							},
						],
					};
				},
			},
			app: {initialScreen: 'performance'},
		});
		let text = await ui.waitForText('p95 register_session · 1h');
		expect(text).toMatch(/! register_session\s+1200\s+91\.7%/);
		expect(text).toContain('! 1 below threshold');
		expect(text).toContain('calls/min register_session');
		text = await ui.waitForText('┤'); // the axes once the series is loaded ('loading…' before)
		expect(text).toMatch(/[╭╮╯╰]/);
		await until(() => points.includes(50));
		const chartLine = text.split('\n').find(line => line.includes('┤'))!;
		expect(chartLine.length).toBeLessThanOrEqual(120);
		await ui.press('w');
		await ui.waitForText('· 6h (w)');
		await until(() => windows.at(-1) === '6h');
	});

	it('lists the latest metrics and charts the chosen one', async () => {
		const asked: string[] = [];
		const ui = renderMonitor({
			data: {
				metricsLatest: async () => [
					{name: 'queue_depth', labels: {queue: 'handoff'}, type: 'gauge', value: 12, recordedAt: new Date(now - 5000)},
					{name: 'requests_total', labels: {}, type: 'counter', value: 123_456, recordedAt: new Date(now - 5000)},
				],
				async metricSeries(params) {
					asked.push(params.name);
					const empty = await (await import('./render.js')).noData.metricSeries(params);
					// the counter grows by 120 per one-minute bucket
					return {...empty, avg: Array.from({length: params.points}, (_, i) => i), last: Array.from({length: params.points}, (_, i) => 1000 + 120 * i)};
				},
			},
			app: {initialScreen: 'metrics'},
		});
		let text = await ui.waitForText('queue_depth queue=handoff · avg per bucket · 1h');
		expect(text).toMatch(/requests_total\s+counter\s+123k/);
		await ui.press('j');
		text = await ui.waitForText('requests_total  · increase per minute');
		await until(() => asked.includes('requests_total'), 'the chosen metric to be charted');
		text = await ui.waitForText('120');
		expect(text).not.toMatch(/\b1\.\dk\b/); // the running total is not what is charted
	});

	it("says a counter with a single minute of values has no increase yet, instead of 'no values'", async () => {
		const ui = renderMonitor({
			data: {
				metricsLatest: async () => [{name: 'requests_total', labels: {}, type: 'counter', value: 7, recordedAt: new Date(now - 5000)}],
				async metricSeries(params) {
					const empty = await (await import('./render.js')).noData.metricSeries(params);
					return {...empty, last: Array.from({length: params.points}, (_, i) => (i === params.points - 1 ? 7 : null))};
				},
			},
			app: {initialScreen: 'metrics'},
		});
		const text = await ui.waitForText('one minute of values so far');
		expect(text).not.toMatch(/no values in the last/);
	});

	it('opens on the schema screen with what is wrong, and applies migrations only after y', async () => {
		const ui = renderMonitor({
			write: true,
			data: {
				schemaState: async () => ({state: 'outdated', summary: 'schema is older than this handoff-top: 1 migration pending (005_x.sql)', applied: 4, shipped: 5, pending: ['005_x.sql'], changed: [], unknown: []}),
				validate: async () => ({
					ok: false,
					database: 'test',
					schema: 'public',
					serverVersion: '18',
					checked: {objects: 10, migrations: 5},
					differences: [
						{kind: 'missing', objectType: 'index', name: 'idx_a', severity: 'error', expected: {definition: 'CREATE INDEX idx_a'}, actual: null, hint: 'run handoff-top migrate'},
						{kind: 'changed', objectType: 'view', name: 'v_b', severity: 'warning', expected: {definition: 'one'}, actual: {definition: 'two'}},
					],
				}),
			},
			app: {initialScreen: 'events', schema: {current: false, summary: 'schema is older than this handoff-top'}},
		});
		let text = await ui.waitForText('✖ schema is older than this handoff-top: 1 migration pending');
		text = await ui.waitForText('2 differences');
		expect(text).toContain('hint     run handoff-top migrate');
		await ui.press('j');
		text = await ui.waitForText('actual   definition=two');
		await ui.press('m');
		await ui.waitForText('apply 1 migration (005_x.sql)? [y/n]');
		expect(ui.performed).toEqual([]);
		await ui.press('y');
		await ui.waitForText('migrate done');
		expect(ui.performed).toEqual(['migrate']);
		expect(ui.feedStarted()).toBe(0);
	});
});
