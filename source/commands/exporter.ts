// handoff-top exporter: the monitor's numbers for Prometheus, for one
// database or several (--dsn repeatable), on http://HOST:PORT/metrics until
// SIGINT/SIGTERM (exit 0). A database that cannot be read is served as
// handoff_top_up 0 while the others go on; the exporter never exits for one.
// Status lines go to stderr.
import type {CommandInput} from '../cli.js';
import {connect} from '../db/connection.js';
import {DatabaseCollector, type CounterState} from '../exporter/databaseCollector.js';
import {parseExporterOptions} from '../exporter/exporterOptions.js';
import {startExporterServer} from '../exporter/exporterServer.js';
import {loadState, saveState} from '../exporter/stateFile.js';
import {exitCodes} from '../exitCodes.js';
import {inert} from '../text/inert.js';
import {noArguments} from './flagValues.js';

/** A call logged with created_at T is counted once the server's clock is past T + this (its transaction has committed by then). */
export const settleSeconds = 10;

function say(line: string): void {
	process.stderr.write(`handoff-top exporter: ${inert(line)}\n`);
}

export async function run({args, flags}: CommandInput): Promise<number> {
	noArguments('exporter', args);
	const options = parseExporterOptions(flags);
	const saved: Record<string, CounterState> = options.state ? loadState(options.state) : {};
	const collectors = options.targets.map(
		target =>
			new DatabaseCollector({
				name: target.name,
				label: target.label,
				connect: async () => connect({dsn: target.dsn, purpose: 'monitor', component: '-exporter'}),
				state: saved[target.name],
				settleSeconds,
				onNotice: say,
				storageLimitBytes: options.storageLimitBytes,
			}),
	);

	let saveFailed: string | undefined;
	function save(force = false): void {
		if (!options.state) return;
		const changed = collectors.map(collector => collector.takeChanged()).some(Boolean);
		if (!changed && !force) return;
		for (const collector of collectors) saved[collector.name] = collector.state();
		try {
			saveState(options.state, saved);
			if (saveFailed) say(`--state ${options.state}: saved again`);
			saveFailed = undefined;
		} catch (error) {
			const text = error instanceof Error ? error.message : String(error);
			if (saveFailed !== text) say(`--state ${options.state}: cannot save the counters: ${text}`);
			saveFailed = text;
		}
	}

	const server = await startExporterServer({host: options.host, port: options.port, collectors, labels: options.labels, afterRead: () => save()});
	say(`serving ${collectors.map(c => `${c.name} (${c.label})`).join(', ')} on ${server.url}`);

	// The first read at once: counters start from the database's own rows, and the log says who is down.
	void Promise.all(collectors.map(async collector => collector.collect())).then(() => save());

	await new Promise<void>(resolve => {
		process.once('SIGINT', resolve);
		process.once('SIGTERM', resolve);
	});
	await server.close();
	await Promise.all(collectors.map(async collector => collector.close()));
	save(true);
	return exitCodes.ok;
}
