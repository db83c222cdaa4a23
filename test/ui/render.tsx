// Renders the monitor (or one screen) with ink-testing-library on services the
// test controls, at a chosen terminal size, with small wait helpers.
import {render} from 'ink-testing-library';
import type {ReactElement} from 'react';
import type {FeedStatus, LifecycleEvent} from '../../source/feed/eventFeed.js';
import {type Actions, checkAction} from '../../source/monitor/actions.js';
import {createEventHub, createStore} from '../../source/monitor/eventHub.js';
import type {MonitorData} from '../../source/monitor/monitorData.js';
import type {SessionRow} from '../../source/queries/sessions.js';
import {App, type AppProps} from '../../source/ui/App.js';
import {type ConnectionStatus, type MonitorServices, ServicesContext} from '../../source/ui/context.js';
import {createTheme, ThemeContext} from '../../source/ui/theme.js';

export const noData: MonitorServices['data'] = {
	sessionsPage: async () => ({rows: [], total: 0}),
	sessionDetail: async () => undefined,
	sessionPosition: async () => undefined,
	firstAnswer: () => undefined,
	dormantSessions: async () => [],
	performanceTable: async () => [],
	latencySeries: async ({window}) => ({window, startsAt: new Date(), endsAt: new Date(), bucketMs: 60_000, operations: []}),
	metricsLatest: async () => [],
	metricSeries: async ({name, window, points}) => ({
		name,
		window,
		startsAt: new Date(),
		endsAt: new Date(),
		bucketMs: 60_000,
		avg: Array.from({length: points}, () => null),
		max: Array.from({length: points}, () => null),
		last: Array.from({length: points}, () => null),
		samples: Array.from({length: points}, () => 0),
	}),
	eventCounts: async ({sinceMinutes}) => ({
		sinceMinutes,
		totals: {created: 0, expired: 0, archived: 0, dormant: 0, reactivated: 0, status_changed: 0},
		perMinute: {created: 0, expired: 0, archived: 0, dormant: 0, reactivated: 0, status_changed: 0},
		minutes: [],
	}),
	databaseHealth: async () => ({
		measuredAt: new Date(),
		connections: 3,
		maxConnections: 100,
		transactions: 0,
		tps: null,
		oldestXact: null,
		oldestXactReadable: true,
		waitingLocks: 0,
		replication: null,
	}),
	schemaState: async () => ({state: 'current', summary: 'schema up to date (5 migrations)', applied: 5, shipped: 5, pending: [], changed: [], unknown: []}),
	validate: async () => ({ok: true, database: 'test', schema: 'public', serverVersion: '18', checked: {objects: 10, migrations: 5}, differences: []}),
	storage: async () => ({measuredAt: new Date(), databaseBytes: 0, tables: [], growthBytesPerDay: 0, ceilings: [], alarms: [], notes: []}),
};

export type Harness = ReturnType<typeof renderMonitor>;

/** Actions that record what they were asked to do (the guard is the real one). */
export function recordingActions(write: boolean) {
	const performed: string[] = [];
	const actions: Actions = {
		check: action => checkAction(action, write),
		async perform(action, onProgress) {
			const verdict = checkAction(action, write);
			if (!verdict.allowed) throw new Error(verdict.reason);
			onProgress?.(`doing ${action.kind}`);
			performed.push(action.kind);
			return `${action.kind} done`;
		},
	};
	return {actions, performed};
}

export function renderMonitor(
	options: {
		data?: Partial<MonitorData>;
		app?: Partial<AppProps>;
		size?: {columns: number; rows: number};
		color?: boolean;
		write?: boolean;
		actions?: Actions;
		feed?: FeedStatus;
		element?: ReactElement;
	} = {},
) {
	const hub = createEventHub();
	const status = createStore<ConnectionStatus>({
		database: {state: 'connected', at: Date.now()},
		feed: {...(options.feed ?? {state: 'live'}), at: Date.now()},
	});
	let feedStarted = 0;
	const feedPaces: number[] = [];
	const recording = recordingActions(options.write ?? false);
	const services: MonitorServices = {
		data: {...noData, ...options.data},
		events: hub,
		status,
		actions: options.actions ?? recording.actions,
		startFeed: () => {
			feedStarted++;
		},
		paceFeed: ms => {
			feedPaces.push(ms);
		},
	};
	const instance = render(
		<ThemeContext.Provider value={createTheme(options.color ?? true)}>
			<ServicesContext.Provider value={services}>
				{options.element ?? (
					<App initialScreen="events" intervalMs={2000} write={options.write ?? false} threshold={95} window="1h" {...options.app} />
				)}
			</ServicesContext.Provider>
		</ThemeContext.Provider>,
	);
	const size = options.size ?? {columns: 100, rows: 30};
	const resize = (columns: number, rows: number) => {
		Object.defineProperty(instance.stdout, 'columns', {value: columns, configurable: true});
		Object.defineProperty(instance.stdout, 'rows', {value: rows, configurable: true});
		instance.stdout.emit('resize');
	};

	resize(size.columns, size.rows);
	return {
		...instance,
		hub,
		status,
		services,
		performed: recording.performed,
		feedStarted: () => feedStarted,
		/** Every wake-up read interval the App asked of the feed, in order. */
		feedPaces: () => [...feedPaces],
		resize,
		/** The last frame without colour codes. */
		text: () => strip(instance.lastFrame() ?? ''),
		async waitFor(predicate: (text: string) => boolean, what = 'the expected frame', timeoutMs = 3000): Promise<string> {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const text = strip(instance.lastFrame() ?? '');
				if (predicate(text)) return text;
				if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${text}`);
				await new Promise(resolve => setTimeout(resolve, 20));
			}
		},
		async waitForText(wanted: string | RegExp, timeoutMs?: number) {
			return this.waitFor(text => (typeof wanted === 'string' ? text.includes(wanted) : wanted.test(text)), String(wanted), timeoutMs);
		},
		/** Keys typed right after render are lost (useInput subscribes in an effect): wait, then type. */
		async press(...keys: string[]) {
			for (const key of keys) {
				await new Promise(resolve => setTimeout(resolve, 30));
				instance.stdin.write(key);
			}

			await new Promise(resolve => setTimeout(resolve, 30));
		},
	};
}

export function strip(text: string): string {
	// eslint-disable-next-line no-control-regex
	return text.replaceAll(/\u001B\[[0-9;]*m/g, '');
}

let nextId = 0;
export function lifecycleEvent(overrides: Partial<LifecycleEvent> = {}): LifecycleEvent {
	nextId++;
	return {
		id: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
		seq: String(nextId),
		xid: String(1000 + nextId),
		sessionId: `10000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
		sessionKey: `sess-${nextId}`,
		agentFrom: 'claude',
		agentTo: 'gpt',
		eventType: 'created',
		eventData: {status: 'active', retention_policy: 'standard'},
		createdAt: new Date('2026-11-26T10:00:00Z'),
		...overrides,
	};
}

export const keys = {
	escape: '\u001B',
	enter: '\r',
	tab: '\t',
	shiftTab: '\u001B[Z',
	down: '\u001B[B',
	up: '\u001B[A',
	ctrlC: '\u0003',
	backspace: '\u007F',
};

/** Waits for a condition outside the frame (a call the UI made). */
export async function until(condition: () => boolean, what = 'the condition', timeoutMs = 3000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

const rowsAt = Date.now();

/** A Sessions row: 'session-n', active, a minute idle; `overrides` for the rest. */
export function sessionRow(n: number, overrides: Partial<SessionRow> = {}): SessionRow {
	return {
		id: `20000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
		sessionKey: `session-${n}`,
		agentFrom: 'claude',
		agentTo: 'gpt',
		status: 'active',
		createdAt: new Date(rowsAt - 3600_000),
		updatedAt: new Date(rowsAt - 60_000),
		expiresAt: null,
		lastActivityAt: new Date(rowsAt - 60_000),
		isDormant: false,
		archivedAt: null,
		retentionPolicy: 'standard',
		hoursSinceActivity: 0.02,
		contextCount: n,
		handoffCount: 1,
		lastLifecycleEvent: 'created',
		lastLifecycleEventAt: new Date(rowsAt - 3600_000),
		...overrides,
	};
}

/** The key of the row the › marks. */
export function selectedKey(text: string): string | undefined {
	return text
		.split('\n')
		.find(line => line.startsWith('›'))
		?.slice(1)
		.trim()
		.split(/\s+/)[0];
}
