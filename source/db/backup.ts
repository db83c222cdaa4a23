// The backup migrate takes before it changes anything: pg_dump into a
// timestamped file. pg_dump refuses servers of a newer major version, so the
// version is checked first and the user is told both ways out.
import {spawn, spawnSync} from 'node:child_process';
import {chmodSync, closeSync, existsSync, mkdirSync, openSync, rmSync, statSync} from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import {CliError, exitCodes} from '../exitCodes.js';
import {applicationName, type ResolvedConnection} from './connection.js';
import {sqlText} from './sqlText.js';

export type BackupMode = 'schema' | 'full';

export type BackupResult = {file: string; bytes: number; mode: BackupMode; pgDumpVersion: string};

export type PgDump = {command: string; version: string; major: number};

/** The pg_dump on PATH (or HANDOFF_TOP_PG_DUMP) and its version, or undefined. */
export function findPgDump(env: NodeJS.ProcessEnv = process.env): PgDump | undefined {
	const command = env['HANDOFF_TOP_PG_DUMP'] || 'pg_dump';
	const result = spawnSync(command, ['--version'], {encoding: 'utf8', env});
	if (result.error || result.status !== 0) return undefined;
	const match = /(\d+)(?:\.(\d+))?/.exec(result.stdout);
	if (!match) return undefined;
	return {command, version: match[0], major: Number(match[1])};
}

export async function serverVersion(client: pg.ClientBase): Promise<{version: string; major: number}> {
	const {rows} = await client.query<{version: string; version_num: string}>(sqlText('backup/server_version'));
	const row = rows[0]!;
	return {version: row.version, major: Math.floor(Number(row.version_num) / 10_000)};
}

const ways = (major: number) =>
	`install the PostgreSQL ${major} client tools (pg_dump ${major} or newer, e.g. the postgresql-client-${major} package), or take your own backup and run with --no-backup`;

/** Checks pg_dump can dump this server, before anything else happens. */
export function checkPgDump(server: {version: string; major: number}, env: NodeJS.ProcessEnv = process.env): PgDump {
	const pgDump = findPgDump(env);
	if (!pgDump) throw new CliError(`cannot back up: pg_dump not found on PATH: ${ways(server.major)}`, exitCodes.migrationBlocked);
	if (pgDump.major < server.major) {
		throw new CliError(
			`cannot back up: pg_dump ${pgDump.version} is older than the server (PostgreSQL ${server.version}) and cannot dump it: ${ways(server.major)}`,
			exitCodes.migrationBlocked,
		);
	}

	return pgDump;
}

function timestamp(date: Date): string {
	return date.toISOString().replaceAll(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** pg_dump's connection: the password only ever in its environment (PGPASSWORD),
 * never on its command line, where any local user can read it (ps, /proc). */
export function pgDumpConnection(connection: ResolvedConnection, env: NodeJS.ProcessEnv): {args: string[]; env: NodeJS.ProcessEnv} {
	const result: NodeJS.ProcessEnv = {...env, PGAPPNAME: applicationName('-backup')};
	const config = connection.config;
	if (config.connectionString) {
		const url = new URL(config.connectionString);
		const password = url.password ? decodeURIComponent(url.password) : url.searchParams.get('password');
		url.password = '';
		url.searchParams.delete('password');
		if (password !== null && password !== '') result['PGPASSWORD'] = password;
		return {args: [`--dbname=${url.toString()}`], env: result};
	}

	if (config.host) result['PGHOST'] = String(config.host);
	if (config.port) result['PGPORT'] = String(config.port);
	if (config.user) result['PGUSER'] = String(config.user);
	if (config.database) result['PGDATABASE'] = String(config.database);
	if (typeof config.password === 'string') result['PGPASSWORD'] = config.password;
	return {args: [], env: result};
}

/** Creates the folder (and any parent it needs) as 0700, whatever the umask;
 * a folder that exists already keeps the mode its owner gave it. */
function makePrivateDir(dir: string): void {
	const first = mkdirSync(dir, {recursive: true, mode: 0o700});
	if (first === undefined) return;
	for (let current = dir; ; current = path.dirname(current)) {
		chmodSync(current, 0o700);
		if (current === first || path.dirname(current) === current) break;
	}
}

export async function backupDatabase(options: {
	connection: ResolvedConnection;
	database: string;
	mode: BackupMode;
	dir: string;
	pgDump: PgDump;
	now?: Date;
	env?: NodeJS.ProcessEnv;
}): Promise<BackupResult> {
	const {connection, mode, pgDump} = options;
	const dir = path.resolve(options.dir);
	try {
		makePrivateDir(dir);
	} catch (error) {
		throw new CliError(`cannot create backup folder ${dir}: ${(error as Error).message}`, exitCodes.failure);
	}

	const safeName = options.database.replaceAll(/[^A-Za-z0-9_.-]/g, '_');
	const base = path.join(dir, `${safeName}-${timestamp(options.now ?? new Date())}-${mode}`);
	const extension = mode === 'full' ? 'dump' : 'sql';
	let file = `${base}.${extension}`;
	for (let n = 2; existsSync(file); n++) file = `${base}-${n}.${extension}`;
	// Schema only: plain SQL a person can read (restore with psql). Full: the
	// custom format, compressed, restored with pg_restore.
	const args = mode === 'full' ? ['--format=custom'] : ['--schema-only', '--format=plain'];
	const target = pgDumpConnection(connection, options.env ?? process.env);
	args.push('--no-password', `--file=${file}`, ...target.args);
	// The file exists, 0600, before pg_dump opens it (it keeps the mode of a file it overwrites): rows of a
	// full backup can hold secrets, and the umask may be 022.
	try {
		closeSync(openSync(file, 'wx', 0o600));
		chmodSync(file, 0o600);
	} catch (error) {
		throw new CliError(`cannot create backup file ${file}: ${(error as Error).message}`, exitCodes.failure);
	}

	const stderr: string[] = [];
	const code = await new Promise<number>((resolve, reject) => {
		const child = spawn(pgDump.command, args, {env: target.env, stdio: ['ignore', 'ignore', 'pipe']});
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (chunk: string) => stderr.push(chunk));
		child.once('error', reject);
		child.once('close', status => resolve(status ?? 1));
	}).catch((error: unknown) => {
		rmSync(file, {force: true});
		throw new CliError(`backup failed, nothing was changed: ${pgDump.command}: ${(error as Error).message}`, exitCodes.failure);
	});
	chmodSync(file, 0o600);
	if (code !== 0) {
		rmSync(file, {force: true});
		const reason = stderr.join('').trim().split('\n')[0] ?? `exit ${code}`;
		throw new CliError(`backup failed, nothing was changed: ${reason}`, exitCodes.failure);
	}

	return {file, bytes: statSync(file).size, mode, pgDumpVersion: pgDump.version};
}
