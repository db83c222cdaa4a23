// `handoff-top demo`: an embedded PostgreSQL in a temporary directory, the
// handoff schema set up on it, the simulator writing into it, and the monitor
// open on it. Quitting stops everything and removes the directory (--keep
// keeps it, stopped, and prints how to start it again and reconnect).
//
// Nothing may outlive the demo, so there are three layers: the normal path
// (stop the simulator, stop the server, remove the directory); signal, crash
// and 'exit' handlers (immediate shutdown by pid, remove the directory); and
// a detached watchdog that does the same once the demo's pid is gone, even
// after SIGKILL.
import pg from 'pg';
import {startWatchdog, type Watchdog} from '../demo/watchdog.js';
import {keptDataMessage} from '../demo/keptData.js';
import type {EmbeddedServer} from '../embedded/embeddedServer.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {backfillHistory} from '../simulator/backfill.js';
import {prepareDatabase, Simulator} from '../simulator/simulator.js';
import {parseSimulatorFlags, type SimulatorFlags} from '../simulator/simulatorOptions.js';
import {parseMonitorOptions} from '../monitor/monitorOptions.js';
import {runMonitor} from './monitor.js';
import {run as runSetup} from './setup.js';
import {describeStats, simulatorApplicationName} from './simulate.js';
import {runSnapshot} from './snapshot.js';
import type {CommandInput} from '../cli.js';

const demoDatabase = 'handoff_demo';
const say = (line: string) => process.stderr.write(`${line}\n`);

type Shutdown = {
	/** Resolves when a signal asks the demo to stop. */
	stopRequested: Promise<NodeJS.Signals>;
	/** Acts on a signal that arrived before the guard was in place. */
	signal(signal: NodeJS.Signals): void;
	/** The orderly end: stops the server, removes (or keeps) the data, dismisses the watchdog. */
	finish(): Promise<void>;
};

function serverRunning(server: EmbeddedServer): boolean {
	if (!server.pid) return false;
	try {
		process.kill(server.pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

function guard(server: EmbeddedServer, watchdog: Watchdog, keep: boolean, killSync: (server: EmbeddedServer, keep: boolean) => void): Shutdown {
	let finished = false;
	const hardStop = () => {
		if (finished) return;
		finished = true;
		try {
			killSync(server, keep);
		} catch {
			// the watchdog finishes the removal once the server has exited
		}
	};

	let requestStop!: (signal: NodeJS.Signals) => void;
	const stopRequested = new Promise<NodeJS.Signals>(resolve => {
		requestStop = resolve;
	});
	let signalled = 0;
	const onSignal = (signal: NodeJS.Signals) => {
		signalled++;
		// The monitor, when open, handles the same signal: it unmounts and restores the terminal.
		if (signalled === 1) {
			requestStop(signal);
			// The orderly path gets a few seconds; then the hard one.
			setTimeout(() => {
				hardStop();
				process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143);
			}, 8000).unref();
			return;
		}

		hardStop();
		process.exit(130);
	};

	const onCrash = (error: unknown) => {
		const code = (error as NodeJS.ErrnoException | undefined)?.code;
		if (code === 'EIO' || code === 'EPIPE') {
			// The terminal went away (writes to it fail): a hangup, not a crash.
			if (signalled === 0) onSignal('SIGHUP');
			return;
		}

		if (process.stdout.isTTY) process.stdout.write('\u001B[?1049l\u001B[?25h');
		say(`handoff-top demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
		hardStop();
		process.exit(exitCodes.failure);
	};

	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
	process.on('uncaughtException', onCrash);
	process.on('unhandledRejection', onCrash);
	process.on('exit', hardStop);
	return {
		stopRequested,
		signal: onSignal,
		async finish() {
			if (!finished) {
				if (!serverRunning(server)) say('the embedded PostgreSQL had exited on its own');
				// stop() ends the server whatever state it is in (fast, immediate, then kill) and removes the directory.
				await server.stop();
				finished = true;
			}

			watchdog.dismiss();
			process.off('exit', hardStop);
		},
	};
}

function databaseUrl(serverUrl: string, database: string): string {
	const url = new URL(serverUrl);
	url.pathname = `/${database}`;
	return url.toString();
}

/** The database and its schema, through `handoff-top setup` itself; then the
 * simulator's retention policy and an hour of latency and metric history, so
 * the monitor's charts have a past from the first second. */
async function setUpDatabase(dsn: string): Promise<void> {
	const code = await runSetup({args: [], flags: {dsn}});
	if (code !== exitCodes.ok) throw new CliError(`setting up the demo database failed (exit ${code})`, exitCodes.failure);
	const client = new pg.Client({connectionString: dsn});
	await client.connect();
	try {
		await prepareDatabase(client);
		await backfillHistory(client, {minutes: 60, rate: 2});
	} finally {
		await client.end();
	}
}

export async function run({args, flags}: CommandInput): Promise<number> {
	if (args.length > 0) throw new CliError(`demo takes no arguments (got '${args.join(' ')}')`, exitCodes.usage);
	const options = parseSimulatorFlags(flags);
	const monitorInput = {color: options.color, bell: flags['bell'] !== false, ...(options.interval === undefined ? {} : {interval: options.interval})};
	parseMonitorOptions(monitorInput); // a bad --interval fails before anything starts
	// The monitor needs a terminal for its screen and its keys; without one the demo prints a snapshot.
	const interactive = process.stdout.isTTY === true && process.stdin.isTTY === true;
	const started = performance.now();
	const {startEmbeddedServer, killEmbeddedServerSync, EmbeddedServerError} = await import('../embedded/embeddedServer.js');
	say('starting an embedded PostgreSQL in a temporary directory…');
	// A signal while the server starts is held until the guard can act on it.
	let early: NodeJS.Signals | undefined;
	const holdSignal = (received: NodeJS.Signals) => {
		early ??= received;
	};

	for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, holdSignal);
	let server: EmbeddedServer;
	let watchdog: Watchdog | undefined;
	try {
		server = await startEmbeddedServer({
			keep: options.keep,
			settings: {synchronous_commit: 'off'},
			// Guarded from the moment the directory exists: a SIGKILL during initdb leaves nothing either.
			onDirectory: directory => {
				watchdog = startWatchdog({directory, keep: options.keep});
			},
		});
	} catch (error) {
		// Nothing is left behind: startEmbeddedServer stopped what it started and removed its directory.
		watchdog?.dismiss();
		if (error instanceof EmbeddedServerError) throw new CliError(error.message, exitCodes.embeddedServer);
		throw error;
	} finally {
		for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(name, holdSignal);
	}

	const shutdown = guard(server, watchdog!, options.keep, killEmbeddedServerSync);
	if (early) shutdown.signal(early);
	say(`embedded PostgreSQL (pid ${server.pid}) in ${server.directory}`);
	const dsn = databaseUrl(server.url, demoDatabase);
	const simulatorStop = new AbortController();
	let simulator: Simulator | undefined;
	let simulation: Promise<unknown> = Promise.resolve();
	let code: number = exitCodes.ok;
	let simulatorFailed = false;
	let signal: NodeJS.Signals | undefined;
	void shutdown.stopRequested.then(received => {
		signal = received;
		simulatorStop.abort();
	});
	try {
		await setUpDatabase(dsn);
		// A signal during set-up: skip straight to the shutdown.
		if (signal === undefined) {
			simulator = new Simulator({
				connection: {connectionString: dsn, application_name: simulatorApplicationName},
				rate: options.rate,
				durationMs: options.duration === undefined ? undefined : options.duration * 1000,
				signal: simulatorStop.signal,
			});
			simulation = simulator.run().catch((error: unknown) => {
				simulatorFailed = true;
				say(`simulator stopped: ${error instanceof Error ? error.message : String(error)}`);
			});
			say(`demo ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${dsn}`);
			say(`simulating a handoff server at ${options.rate} operations/s`);
			if (interactive) {
				// Always --write: the database is the demo's own, so the monitor's writing
				// actions (sweep, archive, reactivate) can be tried, each behind y/n.
				code = await runMonitor({...monitorInput, dsn, write: true});
			} else {
				// No terminal: simulate for --duration (or until a signal), then print the monitor's snapshot.
				// The simulator waits out a database that went away; the demo's own server gone is the end.
				let watch: NodeJS.Timeout | undefined;
				const serverGone = new Promise<'gone'>(resolve => {
					watch = setInterval(() => {
						if (!serverRunning(server)) resolve('gone');
					}, 250);
				});
				const ended = await Promise.race([shutdown.stopRequested, simulation, serverGone]).finally(() => clearInterval(watch));
				if (simulatorFailed || ended === 'gone') code = exitCodes.failure;
				else if (!signal) code = await runSnapshot({dsn, columns: 100});
			}
		}
	} finally {
		simulatorStop.abort();
		await simulation;
		if (simulator) say(`simulator: ${describeStats(simulator.stats)}`);
		await shutdown.finish();
	}

	if (options.keep) {
		say(keptDataMessage({directory: server.directory, dataDir: server.dataDir, binDir: server.binDir, port: server.port, dsn}));
	} else {
		say('demo stopped; the embedded PostgreSQL and its temporary directory are gone');
	}

	if (signal) return exitCodeFor(signal);
	return code;
}

function exitCodeFor(signal: NodeJS.Signals): number {
	return signal === 'SIGINT' ? exitCodes.interrupted : signal === 'SIGHUP' ? 129 : 143;
}
