// handoff-top tail: the lossless lifecycle feed on stdout, one line (or one
// JSON object) per event, until SIGINT/SIGTERM (exit 0). Status and errors go
// to stderr. A first connection that fails exits 3; after that the feed
// reconnects by itself and catches up from its cursor.
import type pg from 'pg';
import {z} from 'zod';
import type {CommandInput} from '../cli.js';
import {connect, resolveConnection} from '../db/connection.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {createEventFeed, type FeedStatus} from '../feed/eventFeed.js';
import {eventJson, formatEventLine, lineWidths} from '../feed/eventText.js';
import {schemaState} from '../queries/schema.js';
import {inert} from '../text/inert.js';
import {checkFlags, dsnSchema, sinceSchema} from './commandOptions.js';

const tailOptions = z.object({
	dsn: dsnSchema.optional(),
	json: z.boolean().default(false),
	since: sinceSchema.optional(),
	color: z.boolean().default(true),
	interval: z.number({error: 'must be a number of seconds'}).min(0.5, 'must be at least 0.5 seconds').max(3600, 'must be at most 3600 seconds').default(2),
});

/** A status line on stderr; inert, as it can quote a server's error message. */
function say(line: string): void {
	process.stderr.write(`handoff-top tail: ${inert(line)}\n`);
}

export async function run({args, flags}: CommandInput): Promise<number> {
	if (args.length > 0) throw new CliError(`tail takes no arguments (got '${args.join(' ')}')`, exitCodes.usage);
	const options = checkFlags(tailOptions, flags);
	const connectOptions = {dsn: options.dsn, purpose: 'monitor', component: '-tail'} as const;
	const {label} = resolveConnection(connectOptions);

	// The first connection answers 'cannot connect' and 'no schema' with their exit codes.
	let first: pg.Client | undefined = await connect(connectOptions);
	try {
		const schema = await schemaState(first);
		if (schema.state === 'missing' || schema.state === 'outdated') {
			throw new CliError(`${label}: ${schema.summary}`, exitCodes.schemaMissing);
		}
	} catch (error) {
		await first.end().catch(() => {});
		throw error;
	}

	const color = options.color && !process.env['NO_COLOR'] && process.stdout.isTTY === true;
	let stdoutClosed = false;
	let finish: (() => void) | undefined;
	const finished = new Promise<void>(resolve => {
		finish = resolve;
	});
	process.stdout.on('error', () => {
		stdoutClosed = true; // reader went away (| head): stop quietly
		finish?.();
	});

	let wasLive = false;
	let lastState: FeedStatus['state'] | undefined;
	let lastHeld: string | undefined;
	let lastWakeups: FeedStatus['wakeups'] = 'notify';
	let lastPolling: string | undefined;
	const every = `every ${options.interval} s`;
	// the text columns line up: each widens to the widest value seen so far
	const widths = lineWidths();
	const feed = createEventFeed({
		async connect() {
			if (first) {
				const c = first;
				first = undefined;
				return c;
			}

			return connect(connectOptions);
		},
		start: options.since ?? 'now',
		pollIntervalMs: options.interval * 1000,
		onEvents(batch) {
			if (stdoutClosed) return;
			const text = batch.map(event => (options.json ? JSON.stringify(eventJson(event)) : formatEventLine(event, {color, widths}))).join('\n');
			process.stdout.write(`${text}\n`);
		},
		onNotice(text) {
			say(text);
		},
		onStatus(status: FeedStatus) {
			const previous = lastState;
			lastState = status.state;
			if (status.state === 'live' && previous !== 'live') {
				const mode = status.wakeups === 'standby' ? ` · standby · polling ${every}` : '';
				say(
					wasLive
						? `reconnected to ${label}, caught up${mode}`
						: `following lifecycle events on ${label}${options.since ? ` since ${options.since.toISOString()}` : ''}${mode}`,
				);
				wasLive = true;
			} else if (status.state === 'live' && status.wakeups !== lastWakeups) {
				if (status.wakeups === 'standby') say(`standby · polling ${every}`);
				else if (status.wakeups === 'missing') say(`polling (no wake-ups) ${every}: events arrive, no notification on handoff_lifecycle`);
				else say('wake-ups are back');
			}

			if (status.state === 'live') lastWakeups = status.wakeups;
			if (status.state === 'live' && status.polling !== lastPolling) {
				lastPolling = status.polling;
				if (status.polling) say(`polling ${every}: ${status.polling}`);
			}

			if (status.state === 'live' && status.heldBackBy?.xid !== lastHeld) {
				lastHeld = status.heldBackBy?.xid;
				if (status.heldBackBy) say(`waiting for transaction ${status.heldBackBy.xid}: later events are held back until it ends`);
			} else if (status.state === 'disconnected') {
				say(`disconnected — retrying in ${Math.max(1, Math.ceil((status.retryInMs ?? 0) / 1000))}s: ${status.lastError ?? 'connection lost'}`);
			}
		},
	});

	const onSignal = () => finish?.();
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	try {
		await feed.start();
		await finished;
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		await feed.stop();
	}

	return exitCodes.ok;
}
