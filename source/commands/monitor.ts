// handoff-top (no command) and `handoff-top monitor`: the interactive monitor.
// Options are checked here, before Ink and React load; when stdout is not a
// terminal it prints a snapshot instead of drawing.
import type pg from 'pg';
import {connect, resolveConnection} from '../db/connection.js';
import {createMonitorData} from '../monitor/monitorData.js';
import {createMonitorDatabase} from '../monitor/monitorDatabase.js';
import {headerEventMinutes} from '../queries/events.js';
import {schemaState, type SchemaState} from '../queries/schema.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {colorEnabled, parseMonitorOptions, type MonitorOptionsInput} from '../monitor/monitorOptions.js';
import type {CommandInput} from '../cli.js';

/** Also used by `handoff-top demo`. Resolves with the exit code. */
export async function runMonitor(input: MonitorOptionsInput): Promise<number> {
	const options = parseMonitorOptions(input);
	resolveConnection({dsn: options.dsn, purpose: 'monitor'}); // a malformed DSN fails here, before the UI loads
	if (!process.stdin.isTTY) {
		throw new CliError('the monitor needs a terminal for keys (stdin is not a TTY); use handoff-top snapshot or tail', exitCodes.usage);
	}

	// The first connections open while the UI's code loads (a third of a second
	// or more): the first frame with data comes that much sooner.
	const checking = early(checkDatabase(options.dsn));
	const monitor = openMonitor(options);
	const {startMonitor} = await import('../ui/startMonitor.js');
	return startMonitor({...options, color: colorEnabled(options.color), check: async () => checking, monitor});
}

/** The monitor's connection, already connecting, and the header's first answers (the rates line, the health line) already asked. */
function openMonitor(options: {dsn?: string | undefined; write: boolean}) {
	const connectMonitor = async () => connect({dsn: options.dsn, purpose: 'monitor', component: '-monitor', write: options.write});
	let firstClient: Promise<pg.Client> | undefined = early(connectMonitor());
	const db = createMonitorDatabase({
		async connect() {
			const first = firstClient;
			firstClient = undefined;
			return first ?? connectMonitor();
		},
	});
	const data = createMonitorData(db);
	data.prime({sinceMinutes: headerEventMinutes});
	return {db, data};
}

/** A promise started before anyone waits for it: a rejection is not unhandled meanwhile. */
function early<T>(promise: Promise<T>): Promise<T> {
	promise.catch(() => {});
	return promise;
}

/** The first connection answers two questions before the screen changes: can
 * we connect at all (else a clear error and exit code 3), and is the schema
 * current (else the monitor opens on its Schema screen and says what is wrong). */
async function checkDatabase(dsn: string | undefined): Promise<{state: SchemaState['state'] | 'unreadable'; summary: string}> {
	const client = await connect({dsn, purpose: 'monitor', component: '-monitor'});
	try {
		return await schemaState(client);
	} catch (error) {
		return {state: 'unreadable', summary: `cannot read the migration history: ${error instanceof Error ? error.message : String(error)}`};
	} finally {
		await client.end().catch(() => {});
	}
}

export async function run({args, flags}: CommandInput): Promise<number> {
	if (args.length > 0) throw new CliError(`unexpected argument '${args[0]}' (see handoff-top --help)`, exitCodes.usage);
	const input = {
		dsn: flags['dsn'],
		interval: flags['interval'],
		write: flags['write'],
		color: flags['color'],
		bell: flags['bell'],
		threshold: flags['threshold'],
		storageLimit: flags['storageLimit'],
		window: flags['window'],
		screen: flags['screen'],
		since: flags['since'],
	};
	const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
	parseMonitorOptions(given); // bad flags answer the same with or without a terminal
	if (!process.stdout.isTTY) {
		const {runSnapshot} = await import('./snapshot.js');
		return runSnapshot(flags as never);
	}

	return runMonitor(given);
}
