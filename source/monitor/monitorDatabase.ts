// A resilient connection for the monitor's panel refreshes.
//
//   const db = createMonitorDatabase({connect});
//   const rows = await db.run(client => sessionsPage(client, {...}));  // rejects while disconnected
//   db.onStatus(s => ...); db.status();  // {state, retryInMs?, lastError?, lastSuccessAt?}
//   await db.close();
//
// run() never leaves the process in a broken state: a failed query (or one
// that does not answer within queryTimeoutMs) marks the database
// 'disconnected', drops the client and reconnects in the background with
// backoff (0.5 s doubling to 10 s). While disconnected, run() rejects at once
// with MonitorUnavailableError; callers keep their last data and mark it stale.
// Errors the server raised for the statement itself (a SQLSTATE outside the
// connection classes, e.g. a statement timeout) reject that run() only: the
// connection is fine. Calls are serialised on one client.
import type pg from 'pg';

export type MonitorDatabaseStatus = {
	state: 'connected' | 'disconnected' | 'connecting';
	retryInMs?: number;
	lastError?: string;
	lastSuccessAt?: Date;
};

export type MonitorDatabase = {
	run<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T>;
	/** Returns an unsubscribe function. */
	onStatus(listener: (status: MonitorDatabaseStatus) => void): () => void;
	status(): MonitorDatabaseStatus;
	close(): Promise<void>;
};

export type MonitorDatabaseOptions = {
	connect: () => Promise<pg.Client>;
	/** A run() slower than this counts as a dead connection (default 15 s). */
	queryTimeoutMs?: number;
	backoff?: {initialMs: number; maxMs: number};
};

export class MonitorUnavailableError extends Error {
	constructor(readonly status: MonitorDatabaseStatus) {
		super(
			status.state === 'disconnected'
				? // no countdown here: the status line has the one that counts down
					`disconnected${status.lastError ? `: ${status.lastError}` : ''}`
				: 'connecting',
		);
		this.name = 'MonitorUnavailableError';
	}
}

/** Did this error come from a statement on a healthy connection? */
export function isStatementError(error: unknown): boolean {
	const code = (error as {code?: unknown})?.code;
	if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
	return !code.startsWith('08') && !['57P01', '57P02', '57P03', '57P04', '57P05'].includes(code);
}

function message(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n')[0] ?? text;
}

export function createMonitorDatabase(options: MonitorDatabaseOptions): MonitorDatabase {
	const queryTimeoutMs = options.queryTimeoutMs ?? 15_000;
	const backoff = options.backoff ?? {initialMs: 500, maxMs: 10_000};
	const listeners = new Set<(status: MonitorDatabaseStatus) => void>();
	let current: MonitorDatabaseStatus = {state: 'connecting'};
	let client: pg.Client | undefined;
	let connecting: Promise<pg.Client> | undefined;
	let retryTimer: NodeJS.Timeout | undefined;
	let delay = backoff.initialMs;
	let closed = false;
	let queue: Promise<unknown> = Promise.resolve();

	function setStatus(next: MonitorDatabaseStatus): void {
		current = next;
		for (const listener of listeners) {
			try {
				listener(current);
			} catch {
				// a listener's error is not ours
			}
		}
	}

	function drop(c: pg.Client): void {
		if (client === c) client = undefined;
		void Promise.race([c.end().catch(() => {}), new Promise(resolve => setTimeout(resolve, 1000))]).then(() => {
			(c as unknown as {connection?: {stream?: {destroy?: () => void}}}).connection?.stream?.destroy?.();
		});
	}

	function disconnected(error: unknown): void {
		if (closed) return;
		const wait = delay;
		delay = Math.min(delay * 2, backoff.maxMs);
		setStatus({
			state: 'disconnected',
			retryInMs: wait,
			lastError: message(error),
			...(current.lastSuccessAt ? {lastSuccessAt: current.lastSuccessAt} : {}),
		});
		clearTimeout(retryTimer);
		retryTimer = setTimeout(() => {
			retryTimer = undefined;
			void ensureClient().catch(() => {});
		}, wait);
	}

	async function ensureClient(): Promise<pg.Client> {
		if (client) return client;
		if (connecting) return connecting;
		if (closed) throw new Error('monitor database closed');
		setStatus({state: 'connecting', ...(current.lastError ? {lastError: current.lastError} : {}), ...(current.lastSuccessAt ? {lastSuccessAt: current.lastSuccessAt} : {})});
		connecting = (async () => {
			try {
				const c = await options.connect();
				if (closed) {
					await c.end().catch(() => {});
					throw new Error('monitor database closed');
				}

				c.on('error', error => {
					if (client !== c) return;
					drop(c);
					disconnected(error);
				});
				client = c;
				delay = backoff.initialMs;
				setStatus({state: 'connected', ...(current.lastSuccessAt ? {lastSuccessAt: current.lastSuccessAt} : {})});
				return c;
			} catch (error) {
				disconnected(error);
				throw error;
			} finally {
				connecting = undefined;
			}
		})();
		return connecting;
	}

	async function runNow<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
		if (closed) throw new Error('monitor database closed');
		if (current.state === 'disconnected' && retryTimer) throw new MonitorUnavailableError(current);
		const c = await ensureClient();
		let timer: NodeJS.Timeout | undefined;
		try {
			const result = await Promise.race([
				fn(c),
				new Promise<never>((_, reject) => {
					timer = setTimeout(
						() => reject(new Error(`no answer from the server in ${Math.round(queryTimeoutMs / 1000)} s`)),
						queryTimeoutMs,
					);
				}),
			]);
			setStatus({state: 'connected', lastSuccessAt: new Date()});
			return result;
		} catch (error) {
			if (isStatementError(error)) {
				setStatus({...current, state: 'connected'});
			} else if (client === c) {
				drop(c);
				disconnected(error);
			}

			throw error;
		} finally {
			clearTimeout(timer);
		}
	}

	return {
		run<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
			const result = queue.then(async () => runNow(fn));
			queue = result.catch(() => {});
			return result;
		},
		onStatus(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		status() {
			return {...current};
		},
		async close() {
			closed = true;
			clearTimeout(retryTimer);
			await queue;
			const c = client;
			client = undefined;
			if (c) await Promise.race([c.end().catch(() => {}), new Promise(resolve => setTimeout(resolve, 1000))]);
		},
	};
}
