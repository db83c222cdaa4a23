// The settings of a connection (read-only, statement and lock timeouts for the
// monitor), applied after connecting rather than in the startup 'options'
// parameter: PgBouncer refuses a startup parameter it does not know ("unsupported
// startup parameter: options") unless told to ignore it, and then drops it.
//
// Behind a pooler (the port the server sees is not our socket's) session
// settings may not hold: in transaction pooling each transaction can run on
// another server connection, whose session settings are someone else's. So a
// monitor connection behind a pooler runs every statement that is not already
// in a transaction inside one of its own, opened with BEGIN [READ ONLY] and
// SET LOCAL of each setting, and committed (rolled back on error) after it; an
// explicit BEGIN of the caller's gets the same SET LOCALs. Such a connection
// sets nothing for the session: in transaction pooling a session SET stays on
// the server connection, which the pooler hands to other clients (the handoff
// server's own, if they share the role and database). On a direct
// connection nothing of this happens: the session settings are the same as the
// startup options were.
import type pg from 'pg';
import {z} from 'zod';
import {render} from './monitorRole.js';
import {sqlText} from './sqlText.js';

export type Setting = {name: string; value: string};

export type SettingsFor = {
	purpose: 'monitor' | 'admin';
	write?: boolean | undefined;
	statementTimeoutMs?: number | undefined;
};

/** What a connection sets for itself, in order. */
export function connectionSettings(options: SettingsFor): Setting[] {
	const settings: Setting[] = [];
	if (options.purpose === 'monitor') {
		if (!options.write) settings.push({name: 'default_transaction_read_only', value: 'on'});
		settings.push({name: 'statement_timeout', value: String(options.statementTimeoutMs ?? 5000)});
		settings.push({name: 'lock_timeout', value: '1000'});
		settings.push({name: 'idle_in_transaction_session_timeout', value: '60000'});
		// JIT compiling the monitor's short queries costs more than it saves (BENCHMARKS.md).
		settings.push({name: 'jit', value: 'off'});
	} else if (options.statementTimeoutMs) {
		settings.push({name: 'statement_timeout', value: String(options.statementTimeoutMs)});
	}

	return settings;
}

export async function applySessionSettings(client: pg.Client, settings: Setting[]): Promise<void> {
	if (settings.length === 0) return;
	await client.query(sqlText('connection/session_settings'), [settings.map(s => s.name), settings.map(s => s.value)]);
}

const behindPooler = new WeakSet<pg.Client>();

/** Did connect() find something between this client and the server (the server sees another client port)? */
export function isBehindPooler(client: pg.Client): boolean {
	return behindPooler.has(client);
}

function localPort(client: pg.Client): number | undefined {
	const stream = (client as unknown as {connection?: {stream?: {localPort?: number}}}).connection?.stream;
	return typeof stream?.localPort === 'number' ? stream.localPort : undefined;
}

const portRow = z.object({port: z.coerce.number().nullable()});

/**
 * True when the server's idea of our client port differs from our socket's:
 * a pooler or proxy is in between. A Unix socket on both sides counts as direct.
 */
export async function detectPooler(client: pg.Client): Promise<boolean> {
	const {rows} = await client.query(sqlText('connection/client_port'));
	const seen = portRow.parse(rows[0]).port;
	const ours = localPort(client);
	const pooled = (seen ?? undefined) !== ours;
	if (pooled) behindPooler.add(client);
	return pooled;
}

/** Statements that open, end or change the transaction or the session themselves: never wrapped. */
const transactionControl = /^\s*(?:begin|start|commit|end|rollback|abort|savepoint|release|prepare\s+transaction|set|reset|discard)\b/i;
const opensTransaction = /^\s*(?:begin|start)\b/i;

function localSettings(settings: Setting[]): string {
	return settings
		.filter(s => s.name !== 'default_transaction_read_only' || s.value === 'on')
		.map(s => {
			if (!/^[a-z_]+$/.test(s.name) || !/^[A-Za-z0-9]+$/.test(s.value)) throw new Error(`unexpected setting ${s.name}`);
			return render(sqlText('connection/set_local').trim(), {name: s.name, value: s.value});
		})
		.join(';\n');
}

/**
 * Makes every statement of `client` run under `settings` whatever server
 * connection a pooler gives it (see the top of this file). Statements are
 * serialised (pg queues them anyway).
 */
export function runStatementsInOwnTransactions(client: pg.Client, settings: Setting[]): void {
	const readOnly = settings.some(s => s.name === 'default_transaction_read_only' && s.value === 'on');
	const local = localSettings(settings);
	const begin = [sqlText(readOnly ? 'connection/begin_read_only' : 'connection/begin').trim(), local].filter(Boolean).join(';\n');
	const original = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
	let tail: Promise<unknown> = Promise.resolve();

	function text(first: unknown): string | undefined {
		if (typeof first === 'string') return first;
		if (first && typeof first === 'object' && typeof (first as {text?: unknown}).text === 'string' && !('submit' in first)) {
			return (first as {text: string}).text;
		}

		return undefined;
	}

	async function run(args: unknown[]): Promise<pg.QueryResult> {
		// the statement itself, after any leading comments (the sql/ files open with some)
		const sql = text(args[0])?.replace(/^(?:\s*--[^\n]*(?:\n|$)|\s*\/\*[\s\S]*?\*\/)*/, '');
		const status = client.getTransactionStatus();
		if (sql === undefined || status !== 'I') return original(...args);
		if (transactionControl.test(sql)) {
			const result = await original(...args);
			// The caller's own transaction: the same settings, as SET LOCAL (allowed before its first query).
			if (opensTransaction.test(sql) && client.getTransactionStatus() === 'T' && local) {
				const readOnlyNow = render(sqlText('connection/set_local').trim(), {name: 'transaction_read_only', value: 'on'});
				await original(readOnly ? `${readOnlyNow};\n${local}` : local);
			}

			return result;
		}

		await original(begin);
		try {
			const result = await original(...args);
			await original(sqlText('connection/commit'));
			return result;
		} catch (error) {
			if (client.getTransactionStatus() !== 'I') await original(sqlText('connection/rollback')).catch(() => {});
			throw error;
		}
	}

	(client as unknown as {query: (...args: unknown[]) => unknown}).query = (...args: unknown[]) => {
		// Callback and submittable forms go straight through.
		if (typeof args[args.length - 1] === 'function' || text(args[0]) === undefined) return original(...args);
		const result = tail.then(async () => run(args));
		tail = result.catch(() => {});
		return result;
	};
}
