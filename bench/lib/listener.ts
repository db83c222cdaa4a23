// "A monitor listening": the real `handoff-top tail --json` process when the
// build has it, otherwise handoff-top's own event feed (source/feed/eventFeed.ts)
// in this process on a connection named like a monitor's. Either way the
// database sees a handoff-top backend LISTENing on handoff_lifecycle that reads
// every event.
import {spawn, type ChildProcess} from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import pg from 'pg';
import {createEventFeed, type EventFeed} from '../../source/feed/eventFeed.js';
import {sampleProc} from './tmux.js';
import {nowMs, sleep} from './util.js';

export type Listener = {
	kind: 'tail' | 'feed';
	note: string;
	events(): number;
	/** CPU the monitor process has used so far (user + system), in seconds; undefined for the in-process feed. */
	cpuSeconds(): number | undefined;
	stop(): Promise<void>;
};

/** Why the last startTail() returned undefined. */
export let lastTailProblem = '';

export type Arrival = {at: number; line: string};

/** Starts `handoff-top tail --json`; undefined when this build has no tail command. */
export async function startTail(
	root: string,
	url: string,
	onLine?: (arrival: Arrival) => void,
): Promise<{child: ChildProcess; events(): number; cpuSeconds(): number | undefined; stop(): Promise<void>} | undefined> {
	const env = {...process.env};
	delete env['CI'];
	const child = spawn(process.execPath, [path.join(root, 'bin', 'handoff-top.js'), 'tail', '--json', '--dsn', url], {
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let count = 0;
	let stderr = '';
	let exited: number | null | undefined;
	child.on('exit', code => (exited = code));
	child.stderr!.on('data', d => (stderr += d));
	if (onLine) {
		const rl = readline.createInterface({input: child.stdout!});
		rl.on('line', line => {
			const at = nowMs();
			if (!line.startsWith('{')) return;
			count++;
			onLine({at, line});
		});
	} else {
		// Only counting: lines that start with '{', straight from the bytes, so
		// the counting costs this process (on the same cores) next to nothing.
		let lineStart = true;
		child.stdout!.on('data', (chunk: Buffer) => {
			for (const byte of chunk) {
				if (lineStart && byte === 0x7b) count++;
				lineStart = byte === 0x0a;
			}
		});
	}
	// Ready when it says so on stderr, or after a quiet second and a half.
	for (let i = 0; i < 30 && exited === undefined; i++) {
		if (/live|listening|following/i.test(stderr)) break;
		await sleep(100);
	}
	await sleep(200);
	if (exited !== undefined) {
		lastTailProblem = `handoff-top tail exited (${exited}): ${stderr.trim().split('\n')[0] ?? ''}`;
		return undefined;
	}

	return {
		child,
		events: () => count,
		cpuSeconds() {
			try {
				return sampleProc(child.pid!).cpuTicks / 100; // USER_HZ
			} catch {
				return undefined; // not Linux, or gone
			}
		},
		async stop() {
			if (exited !== undefined) return;
			child.kill('SIGINT');
			for (let i = 0; i < 50 && exited === undefined; i++) await sleep(100);
			if (exited === undefined) child.kill('SIGKILL');
		},
	};
}

export function feedConnect(url: string, component = '-feed'): () => Promise<pg.Client> {
	return async () => {
		const client = new pg.Client({connectionString: url, application_name: `handoff-top${component}/bench`});
		client.on('error', () => {});
		await client.connect();
		return client;
	};
}

export async function startFeed(url: string, onEvents?: (count: number, batch: unknown[]) => void): Promise<{feed: EventFeed; events(): number}> {
	let count = 0;
	const feed = createEventFeed({
		connect: feedConnect(url),
		start: 'now',
		onEvents(batch) {
			count += batch.length;
			onEvents?.(batch.length, batch);
		},
		onStatus() {},
	});
	await feed.start();
	return {feed, events: () => count};
}

export async function startListener(root: string, url: string, preferTail: boolean): Promise<Listener> {
	if (preferTail) {
		const tail = await startTail(root, url);
		if (tail) return {kind: 'tail', note: 'handoff-top tail --json (child process)', events: tail.events, cpuSeconds: tail.cpuSeconds, stop: tail.stop};
	}

	const {feed, events} = await startFeed(url);
	const why = preferTail ? ` (tail unavailable: ${lastTailProblem})` : '';
	return {
		kind: 'feed',
		note: `handoff-top event feed, in-process, application_name handoff-top-feed/bench${why}`,
		events,
		cpuSeconds: () => undefined,
		stop: () => feed.stop(),
	};
}
