// Ordered SQL migrations from sql/migrations, their history in the database,
// and the runner that applies them: one transaction per migration, a
// session-level advisory lock against concurrent runners.
import {createHash} from 'node:crypto';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import {z} from 'zod';
import {packageRoot} from '../paths.js';
import {splitStatements, statementAt} from './sqlStatements.js';
import {sqlText} from './sqlText.js';

export type Migration = {
	version: number;
	name: string;
	file: string;
	sql: string;
	checksum: string;
};

const appliedRow = z.object({
	version: z.number().int(),
	name: z.string(),
	checksum: z.string().transform(value => value.trim()),
	applied_at: z.date(),
	applied_by: z.string(),
	execution_ms: z.number().int().nullable(),
	baselined: z.boolean(),
});
export type AppliedMigration = z.infer<typeof appliedRow>;

export type MigrationStatus = {
	trackingTable: boolean;
	applied: AppliedMigration[];
	pending: Migration[];
	/** Applied files whose content has changed since. */
	changed: Array<{migration: Migration; applied: AppliedMigration}>;
	/** Recorded as applied but no longer shipped (a newer handoff-top applied them). */
	unknown: AppliedMigration[];
};

/** SHA-256 of the file with line endings normalised, so a checkout with CRLF
 * does not count as an edit. */
export function checksum(text: string): string {
	return createHash('sha256').update(text.replaceAll('\r\n', '\n')).digest('hex');
}

const fileName = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** sql/migrations of the installed package; HANDOFF_TOP_MIGRATIONS_DIR points
 * elsewhere (a copy under test, or a patched set a DBA wants checked). */
export function migrationsDir(): string {
	return process.env['HANDOFF_TOP_MIGRATIONS_DIR'] || path.join(packageRoot(), 'sql', 'migrations');
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
	return readdirSync(dir)
		.filter(file => fileName.test(file))
		.sort()
		.map(file => {
			const [, version, name] = fileName.exec(file)!;
			const sql = readFileSync(path.join(dir, file), 'utf8');
			return {version: Number(version), name: name!, file, sql, checksum: checksum(sql)};
		});
}

export async function readMigrationStatus(client: pg.ClientBase, migrations = loadMigrations()): Promise<MigrationStatus> {
	const {rows} = await client.query(sqlText('runner/tracking_table_exists'));
	const trackingTable = Boolean(rows[0]?.exists);
	const applied = trackingTable
		? (await client.query(sqlText('runner/applied_migrations'))).rows.map(row => appliedRow.parse(row))
		: [];
	const byVersion = new Map(applied.map(row => [row.version, row]));
	const shipped = new Set(migrations.map(m => m.version));
	const changed: MigrationStatus['changed'] = [];
	const pending: Migration[] = [];
	for (const migration of migrations) {
		const row = byVersion.get(migration.version);
		if (!row) pending.push(migration);
		else if (row.checksum !== migration.checksum) changed.push({migration, applied: row});
	}

	return {trackingTable, applied, pending, changed, unknown: applied.filter(row => !shipped.has(row.version))};
}

export class MigrationError extends Error {
	constructor(
		message: string,
		readonly migration: Migration,
		readonly detail: {line?: number; statement?: string; serverMessage: string; code?: string},
	) {
		super(message);
		this.name = 'MigrationError';
	}
}

export class MigrationLockedError extends Error {
	constructor() {
		super('another handoff-top migrate is running on this database (advisory lock held)');
		this.name = 'MigrationLockedError';
	}
}

export class ChangedMigrationError extends Error {
	constructor(readonly changed: MigrationStatus['changed']) {
		super(
			`applied migration${changed.length > 1 ? 's' : ''} changed since applied: ${changed
				.map(c => c.migration.file)
				.join(', ')}`,
		);
		this.name = 'ChangedMigrationError';
	}
}

/** Where in the file a server error points: the line and the statement. */
function locate(sql: string, position: number | undefined): {line?: number; statement?: string} {
	if (!position || position < 1) return {};
	const statement = statementAt(sql, position);
	return {line: sql.slice(0, position - 1).split('\n').length, statement: statement?.text};
}

/** Errors from utility statements (ALTER TABLE, CREATE INDEX ...) carry no
 * position. Replays the migration statement by statement in a transaction
 * that is always rolled back, to find the one that fails. */
async function findFailingStatement(client: pg.ClientBase, sql: string): Promise<{line?: number; statement?: string}> {
	await client.query('BEGIN');
	try {
		for (const statement of splitStatements(sql)) {
			try {
				await client.query(statement.text);
			} catch {
				return {line: statement.line, statement: statement.text};
			}
		}

		return {};
	} finally {
		await client.query('ROLLBACK').catch(() => {});
	}
}

export type ApplyEvents = {
	/** Called while another runner holds the lock, before each retry. */
	onWaiting?: () => void;
	onStart?: (migration: Migration) => void;
	onApplied?: (migration: Migration, ms: number) => void;
};

export type ApplyOptions = ApplyEvents & {
	/** 'wait' polls until the other runner finishes; 'fail' throws MigrationLockedError. */
	whenLocked?: 'wait' | 'fail';
	waitTimeoutMs?: number;
	migrations?: Migration[];
	/** Record these versions as applied without running them (baselining). */
	baseline?: number[];
};

/** Takes the runner's session-level advisory lock (re-entrant on the same
 * connection, so a caller may hold it around applyMigrations). */
export async function acquireMigrationLock(client: pg.ClientBase, options: ApplyOptions = {}): Promise<void> {
	return acquireLock(client, options);
}

export async function releaseMigrationLock(client: pg.ClientBase): Promise<void> {
	await client.query(sqlText('runner/unlock'));
}

async function acquireLock(client: pg.ClientBase, options: ApplyOptions): Promise<void> {
	const deadline = Date.now() + (options.waitTimeoutMs ?? 10 * 60_000);
	for (;;) {
		const {rows} = await client.query(sqlText('runner/try_lock'));
		if (rows[0]?.locked) return;
		if (options.whenLocked === 'fail' || Date.now() > deadline) throw new MigrationLockedError();
		options.onWaiting?.();
		await new Promise(resolve => setTimeout(resolve, 250));
	}
}

/** Applies every pending migration in order. The client must not be inside a
 * transaction. Returns the migrations it applied (none when up to date). */
export async function applyMigrations(client: pg.ClientBase, options: ApplyOptions = {}): Promise<Migration[]> {
	const migrations = options.migrations ?? loadMigrations();
	await acquireLock(client, options);
	try {
		await client.query(sqlText('runner/create_tracking_table'));
		// Read after the lock: a runner that held it may have applied everything.
		const status = await readMigrationStatus(client, migrations);
		if (status.changed.length > 0) throw new ChangedMigrationError(status.changed);
		const baseline = new Set(options.baseline ?? []);
		const done: Migration[] = [];
		for (const migration of status.pending) {
			options.onStart?.(migration);
			const started = performance.now();
			await client.query('BEGIN');
			try {
				if (!baseline.has(migration.version)) await client.query(migration.sql);
				const ms = Math.round(performance.now() - started);
				await client.query(sqlText('runner/record_migration'), [
					migration.version,
					migration.name,
					migration.checksum,
					ms,
					baseline.has(migration.version),
				]);
				await client.query('COMMIT');
				done.push(migration);
				options.onApplied?.(migration, ms);
			} catch (error) {
				await client.query('ROLLBACK').catch(() => {});
				const pgError = error as {message: string; position?: string; code?: string};
				const position = Number(pgError.position) || undefined;
				const where = position ? locate(migration.sql, position) : await findFailingStatement(client, migration.sql).catch((): {line?: number; statement?: string} => ({}));
				throw new MigrationError(
					`migration ${migration.file} failed${where.line ? ` at line ${where.line}` : ''}: ${pgError.message}`,
					migration,
					{...where, serverMessage: pgError.message, code: pgError.code},
				);
			}
		}

		return done;
	} finally {
		await client.query(sqlText('runner/unlock')).catch(() => {});
	}
}
