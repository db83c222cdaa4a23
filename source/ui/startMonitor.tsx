// Runs the interactive monitor in this terminal: connects, picks the first
// screen (Schema when the schema is missing or old), starts the lossless event
// feed, and draws in the alternate screen, which is left again on quit, on a
// crash and on SIGTERM/SIGHUP/SIGINT.
import {writeSync} from 'node:fs';
import {render} from 'ink';
import {connect} from '../db/connection.js';
import {createEventFeed, liveWakeReadIntervalMs, type EventFeed} from '../feed/eventFeed.js';
import {createActions} from '../monitor/actions.js';
import {createEventHub, createStore} from '../monitor/eventHub.js';
import type {MonitorData} from '../monitor/monitorData.js';
import type {MonitorDatabase, MonitorDatabaseStatus} from '../monitor/monitorDatabase.js';
import type {MonitorOptions} from '../monitor/monitorOptions.js';
import {exitCodes} from '../exitCodes.js';
import {inert, inertLines} from '../text/inert.js';
import {App} from './App.js';
import {diffingStdout} from './frameDiff.js';
import {type ConnectionStatus, type MonitorServices, ServicesContext} from './context.js';
import {createTheme, ThemeContext} from './theme.js';

const enterAlternateScreen = '\u001B[?1049h\u001B[H';
const leaveAlternateScreen = '\u001B[?25h\u001B[?1049l';

/** Events shown on opening Live events: more than any screen's rows. */
const historyOnOpen = 200;

export async function startMonitor(
	options: MonitorOptions & {
		color: boolean;
		/** The first connection: rejects when the database cannot be reached at all; says whether the schema is current. */
		check: () => Promise<{state: string; summary: string}>;
		/** The monitor's connection and what its screens read from it, opened (and primed) before the UI loaded. */
		monitor: {db: MonitorDatabase; data: MonitorData};
	},
): Promise<number> {
	const connectMonitor = (component: string) => async () =>
		connect({dsn: options.dsn, purpose: 'monitor', component, write: options.write});
	const {db} = options.monitor;
	const hub = createEventHub();
	const stamp = (database: MonitorDatabaseStatus) => ({...database, at: Date.now()});
	const status = createStore<ConnectionStatus>({database: stamp(db.status()), feed: undefined});
	db.onStatus(next => {
		const previous = status.get().database;
		if (previous.state === next.state && previous.retryInMs === next.retryInMs && previous.lastError === next.lastError) return;
		status.set({...status.get(), database: stamp(next)});
	});
	let feed: EventFeed | undefined;
	let wakeReadIntervalMs = liveWakeReadIntervalMs;
	const startFeed = () => {
		if (feed) return;
		feed = createEventFeed({
			connect: connectMonitor('-feed'),
			// Live events opens on what happened last: the newest screenful before start (or all since --since), then live
			start: options.since ?? 'now',
			history: historyOnOpen,
			wakeReadIntervalMs,
			onEvents: batch => hub.publish(batch),
			onStatus: next => status.set({...status.get(), feed: {...next, at: Date.now()}}),
		});
		void feed.start();
	};

	const services: MonitorServices = {
		data: options.monitor.data,
		events: hub,
		status,
		actions: createActions({
			write: options.write,
			connect: async purpose =>
				connect({dsn: options.dsn, purpose, component: purpose === 'admin' ? '-migrate' : '-action', write: options.write}),
		}),
		startFeed,
		paceFeed(ms) {
			wakeReadIntervalMs = ms;
			feed?.setWakeReadInterval(ms);
		},
	};

	let inAlternateScreen = false;
	const leave = () => {
		if (!inAlternateScreen) return;
		inAlternateScreen = false;
		try {
			writeSync(1, leaveAlternateScreen);
		} catch {
			// stdout is gone: nothing to restore
		}
	};

	let signalled: NodeJS.Signals | undefined;
	let instance: ReturnType<typeof render> | undefined;
	const onSignal = (signal: NodeJS.Signals) => {
		signalled = signal;
		instance?.unmount();
	};

	const onCrash = (error: unknown) => {
		// The terminal went away (SSH dropped, window closed): a hang-up, not a crash.
		const code = (error as {code?: string} | undefined)?.code;
		if (code === 'EIO' || code === 'EPIPE') {
			inAlternateScreen = false;
			process.exit(128 + 1);
		}

		instance?.unmount();
		leave();
		const detail = error instanceof Error ? (process.env['HANDOFF_TOP_DEBUG'] ? error.stack : error.message) : String(error);
		process.stderr.write(`handoff-top: internal error: ${inertLines(detail ?? '')}\n`);
		process.exit(exitCodes.failure);
	};

	process.on('exit', leave);
	process.on('SIGTERM', onSignal);
	process.on('SIGHUP', onSignal);
	process.on('SIGINT', onSignal);
	process.on('uncaughtException', onCrash);
	process.on('unhandledRejection', onCrash);
	process.stdout.write(enterAlternateScreen);
	inAlternateScreen = true;
	let code: number = exitCodes.ok;
	let failure: unknown;
	const tree = (schema?: {current: boolean; summary: string}) => (
		<ThemeContext.Provider value={createTheme(options.color)}>
			<ServicesContext.Provider value={services}>
				<App
					initialScreen={options.screen ?? 'events'}
					intervalMs={Math.round(options.interval * 1000)}
					write={options.write}
					threshold={options.threshold}
					bell={options.bell}
					window={options.window}
					storageLimit={options.storageLimit}
					{...(schema ? {schema} : {})}
				/>
			</ServicesContext.Provider>
		</ThemeContext.Provider>
	);
	try {
		// The header's first answers were asked while the UI loaded: the first frame waits for them a moment
		// (they are usually in), then draws at once; the schema check's answer follows.
		await Promise.race([options.monitor.data.primed(), new Promise(resolve => setTimeout(resolve, 400).unref())]);
		if (signalled) return signalCode(signalled); // the finally below restores the terminal
		instance = render(tree(), {stdout: process.env['HANDOFF_TOP_REDRAW'] === 'full' ? process.stdout : diffingStdout(process.stdout), exitOnCtrlC: false, patchConsole: true, maxFps: 10});
		const running = instance;
		options.check().then(
			initial => {
				const current = initial.state === 'current';
				if (current) startFeed();
				running.rerender(tree({current, summary: initial.summary}));
			},
			(error: unknown) => {
				// Cannot connect at all (bad host, password, database): say so and exit.
				failure = error;
				running.unmount();
			},
		);
		await instance.waitUntilExit();
	} catch (error) {
		leave();
		process.stderr.write(`handoff-top: ${inert(error instanceof Error ? error.message : String(error))}\n`);
		code = exitCodes.failure;
	} finally {
		leave();
		const closing = Promise.all([feed?.stop(), db.close()]);
		await Promise.race([closing, new Promise(resolve => setTimeout(resolve, 3000).unref())]);
		process.off('exit', leave);
		process.off('SIGTERM', onSignal);
		process.off('SIGHUP', onSignal);
		process.off('SIGINT', onSignal);
		process.off('uncaughtException', onCrash);
		process.off('unhandledRejection', onCrash);
	}

	if (failure !== undefined) throw failure;
	return signalled ? signalCode(signalled) : code;
}

/** The exit code after a signal ended the monitor. */
function signalCode(signal: NodeJS.Signals): number {
	return signal === 'SIGINT' ? exitCodes.interrupted : 128 + (signal === 'SIGHUP' ? 1 : 15);
}
