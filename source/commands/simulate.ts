// `handoff-top simulate`: a busy AI handoff server writing into any database
// that has the handoff schema, until --duration or Ctrl-C. It refuses a
// database without the schema rather than creating it.
import {resolveConnection, connect} from '../db/connection.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {prepareDatabase, Simulator, type SimulatorStats} from '../simulator/simulator.js';
import {classifySchema} from '../db/schemaState.js';
import {parseSimulatorFlags} from '../simulator/simulatorOptions.js';
import type {CommandInput} from '../cli.js';

/** The simulated server's connections look like an application's, not like a
 * handoff-top monitor's (the notification gate counts those as listeners). */
export const simulatorApplicationName = 'handoff-server-simulator';

export function describeStats(stats: SimulatorStats): string {
	const seconds = Math.max(stats.elapsedMs, 1) / 1000;
	const {expire, dormant, archive, purge} = stats.swept;
	return (
		`${stats.operations} operations in ${seconds.toFixed(1)} s (${(stats.operations / seconds).toFixed(1)}/s), ` +
		`${stats.modelledFailures} modelled failures; ${stats.sweeps} sweeps: ${dormant} dormant, ${expire} expired, ` +
		`${archive} archived, ${purge} purged` +
		(stats.reconnects > 0 ? `; the database went away ${stats.reconnects === 1 ? 'once' : `${stats.reconnects} times`}, carried on after it came back` : '') +
		(stats.errors > 0 ? `; ${stats.errors} database errors (last: ${stats.lastError})` : '')
	);
}

export async function run({args, flags}: CommandInput): Promise<number> {
	if (args.length > 0) throw new CliError(`simulate takes no arguments (got '${args.join(' ')}')`, exitCodes.usage);
	const options = parseSimulatorFlags(flags);
	const {config, label} = resolveConnection({dsn: options.dsn, purpose: 'admin'});
	const client = await connect({dsn: options.dsn, purpose: 'admin', component: '-simulate'});
	try {
		const schema = await classifySchema(client);
		if (schema.state !== 'current' && schema.state !== 'newer') throw new CliError(`${label}: ${schema.summary}`, exitCodes.schemaMissing);
		await prepareDatabase(client);
	} finally {
		await client.end().catch(() => {});
	}

	const stop = new AbortController();
	let interrupted = false;
	const onSignal = () => {
		interrupted = true;
		stop.abort();
	};

	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	const simulator = new Simulator({
		connection: {...config, application_name: simulatorApplicationName},
		rate: options.rate,
		durationMs: options.duration === undefined ? undefined : options.duration * 1000,
		signal: stop.signal,
	});
	process.stderr.write(
		`simulating a handoff server on ${label} at ${options.rate} operations/s` +
			`${options.duration === undefined ? ' until Ctrl-C' : ` for ${options.duration} s`}\n`,
	);
	const started = performance.now();
	const progress = setInterval(() => process.stderr.write(`  ${describeStats({...simulator.stats, elapsedMs: performance.now() - started})}\n`), 10_000);
	try {
		const stats = await simulator.run();
		process.stderr.write(`done: ${describeStats(stats)}\n`);
		if (stats.errors > 0) return exitCodes.failure;
		return interrupted ? exitCodes.interrupted : exitCodes.ok;
	} finally {
		clearInterval(progress);
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
	}
}
