// How every command connects: --dsn, else DATABASE_URL, else libpq's
// environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE or
// ~/.pgpass, PGSSLMODE). Connection failures become one clear line with the
// 'cannot connect' exit code.
import {userInfo} from 'node:os';
import {createRequire} from 'node:module';
import pg from 'pg';
import {CliError, exitCodes} from '../exitCodes.js';
import {packageVersion} from '../paths.js';
import {applySessionSettings, connectionSettings, detectPooler, runStatementsInOwnTransactions, type Setting} from './sessionSettings.js';

export type ConnectionPurpose = 'monitor' | 'admin';

export type ConnectOptions = {
	dsn?: string | undefined;
	/** Suffix after 'handoff-top', e.g. '-migrate' or '-feed'. */
	component?: string;
	/** monitor: read-only with statement and lock timeouts. admin: schema work. */
	purpose: ConnectionPurpose;
	/** Allow writes on a monitor connection (--write). */
	write?: boolean;
	/** Connect to this database instead of the one the DSN names. */
	database?: string;
	statementTimeoutMs?: number;
	env?: NodeJS.ProcessEnv;
};

export type ResolvedConnection = {
	config: pg.ClientConfig;
	/** Applied with SET after connecting (src/db/sessionSettings.ts), never as the startup 'options'. */
	settings: Setting[];
	/** host:port/database for messages; never the password. */
	label: string;
	source: 'dsn' | 'DATABASE_URL' | 'environment';
};

export function applicationName(component = ''): string {
	return `handoff-top${component}/${packageVersion()}`;
}

function parseDsn(dsn: string, origin: string): URL {
	let url: URL;
	try {
		url = new URL(dsn);
	} catch {
		throw new CliError(
			`malformed ${origin}: expected postgres://user:password@host:port/database, got '${redact(dsn)}'`,
			exitCodes.usage,
		);
	}

	if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
		throw new CliError(
			`malformed ${origin}: scheme must be postgres:// or postgresql://, got '${url.protocol}//'`,
			exitCodes.usage,
		);
	}

	return url;
}

export function redact(dsn: string): string {
	return dsn.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** pg's own ~/.pgpass lookup is deprecated and warns; this is the same lookup, quietly. */
// pg accepts undefined from this function (no password), though its types say string.
function pgpassLookup(config: pg.ClientConfig): () => Promise<string> {
	const require = createRequire(import.meta.url);
	const pgpass = require('pgpass') as (info: object, cb: (password: string | undefined) => void) => void;
	return async () =>
		new Promise<string>(resolve => {
			pgpass(
				{
					host: config.host ?? 'localhost',
					port: config.port ?? 5432,
					database: config.database,
					user: config.user,
				},
				password => resolve(password as string),
			);
		});
}

/** libpq's default user name: PGUSER, else the operating system user (with USER unset too: containers, cron). */
export function defaultUser(env: NodeJS.ProcessEnv): string | undefined {
	if (env['PGUSER']) return env['PGUSER'];
	try {
		const name = userInfo().username;
		if (name) return name;
	} catch {
		// no passwd entry for this uid: fall back to the environment
	}

	return env['USER'] ?? env['LOGNAME'];
}

export function resolveConnection(options: ConnectOptions): ResolvedConnection {
	const env = options.env ?? process.env;
	const dsn = options.dsn ?? env['DATABASE_URL'];
	const source: ResolvedConnection['source'] =
		options.dsn === undefined ? (env['DATABASE_URL'] ? 'DATABASE_URL' : 'environment') : 'dsn';
	const config: pg.ClientConfig = {
		application_name: applicationName(options.component),
		connectionTimeoutMillis: 10_000,
		keepAlive: true,
	};
	if (dsn !== undefined && dsn !== '') {
		const url = parseDsn(dsn, source === 'dsn' ? '--dsn' : 'DATABASE_URL');
		// libpq: a URI without a user name connects as PGUSER, else the operating system user (pg would send none without USER)
		const user = defaultUser(env);
		if (!url.username && !url.searchParams.get('user') && user) url.username = encodeURIComponent(user);
		config.connectionString = url.toString();
		if (url.searchParams.get('application_name')) delete config.application_name;
	} else {
		config.host = env['PGHOST'] ?? 'localhost';
		config.port = Number(env['PGPORT'] ?? 5432);
		config.user = defaultUser(env);
		config.database = env['PGDATABASE'] ?? config.user;
		if (env['PGPASSWORD'] !== undefined) config.password = env['PGPASSWORD'];
	}

	if (options.database) {
		if (config.connectionString) {
			const url = new URL(config.connectionString);
			url.pathname = `/${encodeURIComponent(options.database)}`;
			config.connectionString = url.toString();
		} else {
			config.database = options.database;
		}
	}

	const parsed = config.connectionString ? new URL(config.connectionString) : undefined;
	const host = parsed ? parsed.hostname || 'localhost' : config.host;
	const port = parsed ? parsed.port || '5432' : config.port;
	const database = parsed ? decodeURIComponent(parsed.pathname.slice(1)) || '(default)' : config.database;
	const hasPassword = parsed ? parsed.password !== '' : config.password !== undefined;
	if (!hasPassword && !env['PGPASSWORD']) config.password = pgpassLookup({...config, host: String(host), port: Number(port), database});
	return {config, settings: connectionSettings(options), label: `${host}:${port}/${database}`, source};
}

type PgError = Error & {code?: string; errno?: number; hostname?: string; routine?: string};

/** One line that says why a connection failed. */
export function describeConnectionError(error: unknown, label: string): CliError {
	const e = error as PgError;
	const code = e?.code;
	const message = e?.message ?? String(error);
	const at = `cannot connect to ${label}`;
	switch (code) {
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return new CliError(`${at}: unknown host '${e.hostname ?? label.split(':')[0]}'`, exitCodes.cannotConnect);
		case 'ECONNREFUSED':
			return new CliError(`${at}: connection refused (is PostgreSQL running and listening there?)`, exitCodes.cannotConnect);
		case 'ETIMEDOUT':
		case 'EHOSTUNREACH':
		case 'ENETUNREACH':
			return new CliError(`${at}: host unreachable (${code})`, exitCodes.cannotConnect);
		case '28P01':
			return new CliError(`${at}: password authentication failed (${message.replace(/^password authentication failed /, '')})`, exitCodes.cannotConnect);
		case '28000':
			return new CliError(`${at}: ${message}`, exitCodes.cannotConnect);
		case '3D000':
			return new CliError(`${at}: ${message} (handoff-top setup creates it)`, exitCodes.cannotConnect);
		case '42501':
			return new CliError(`${at}: permission denied: ${message}`, exitCodes.privilege);
		case '53300':
			return new CliError(`${at}: too many connections`, exitCodes.cannotConnect);
		case '57P03':
			return new CliError(`${at}: the server is starting up or shutting down`, exitCodes.cannotConnect);
		default:
			break;
	}

	if (/timeout/i.test(message)) return new CliError(`${at}: timed out`, exitCodes.cannotConnect);
	if (/SSL|certificate/i.test(message)) return new CliError(`${at}: SSL: ${message}`, exitCodes.cannotConnect);
	return new CliError(`${at}: ${message}`, exitCodes.cannotConnect);
}

/** A connected client, or a CliError that says why not. */
export async function connect(options: ConnectOptions): Promise<pg.Client> {
	const {config, label, settings} = resolveConnection(options);
	const client = new pg.Client(config);
	// An idle client's socket can fail later (server restart); the owner decides.
	client.on('error', () => {});
	try {
		await client.connect();
	} catch (error) {
		await client.end().catch(() => {});
		throw describeConnectionError(error, label);
	}

	try {
		// Behind a pooler a monitor connection's settings are made to hold per statement, never set for the
		// session: in transaction pooling a session SET stays on a server connection other clients get next.
		if ((await detectPooler(client)) && options.purpose === 'monitor') runStatementsInOwnTransactions(client, settings);
		else await applySessionSettings(client, settings);
	} catch (error) {
		await client.end().catch(() => {});
		throw describeConnectionError(error, label);
	}

	return client;
}
