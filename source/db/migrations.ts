// Ordered SQL migrations from sql/migrations, their history in the database,
// and the runner that applies them: one transaction per migration, a
// session-level advisory lock against concurrent runners. Its dry run runs
// them by the same code, in one transaction that it rolls back.
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
	/** Checksums of earlier revisions of this file, declared in it (`-- supersedes: <sha-256>`): a database
	 * that recorded one of them has this migration applied (what changed is done by a later migration). */
	supersedes: string[];
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
			const supersedes = [...sql.matchAll(/^-- supersedes: ([0-9a-f]{64})\s*$/gm)].map(match => match[1]!);
			return {version: Number(version), name: name!, file, sql, checksum: checksum(sql), supersedes};
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
		else if (row.checksum !== migration.checksum && !migration.supersedes.includes(row.checksum)) changed.push({migration, applied: row});
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

/** How one migration's transaction opens and closes: a transaction of its own
 * (migrate) or a savepoint in the one transaction of a dry run, which is
 * rolled back at the end. Everything else about running a migration is the
 * same for both (runMigration). */
type Scope = {
	begin: string;
	commit: string;
	rollback: string;
	/** Error codes whose statement is not looked for by replaying the migration. */
	noReplay?: string[];
};
const ownTransaction: Scope = {begin: 'BEGIN', commit: 'COMMIT', rollback: 'ROLLBACK'};
const dryRunSavepoint = (noReplay: string[]): Scope => ({
	begin: sqlText('migrate/savepoint'),
	commit: sqlText('migrate/release_savepoint'),
	rollback: sqlText('migrate/rollback_to_savepoint'),
	noReplay,
});

/** Errors from utility statements (ALTER TABLE, CREATE INDEX ...) carry no
 * position. Replays the migration statement by statement in a transaction (or
 * savepoint) that is always rolled back, to find the one that fails. */
async function findFailingStatement(client: pg.ClientBase, sql: string, scope: Scope): Promise<{line?: number; statement?: string}> {
	await client.query(scope.begin);
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
		await client.query(scope.rollback).catch(() => {});
	}
}

/** Runs one migration - or only records it, when it is baselined - in its own
 * transaction or savepoint (scope), exactly the same way for migrate and for
 * its dry run. On failure the migration is rolled back and the error says
 * which line and statement of the file failed. Returns the time it took. */
async function runMigration(client: pg.ClientBase, migration: Migration, baselined: boolean, scope: Scope): Promise<number> {
	const started = performance.now();
	let phase: 'migration' | 'record' | 'commit' = 'migration';
	await client.query(scope.begin);
	try {
		if (!baselined) await client.query(migration.sql);
		const ms = Math.round(performance.now() - started);
		phase = 'record';
		await client.query(sqlText('runner/record_migration'), [migration.version, migration.name, migration.checksum, ms, baselined]);
		phase = 'commit';
		await client.query(scope.commit);
		return ms;
	} catch (error) {
		await client.query(scope.rollback).catch(() => {});
		const pgError = error as {message: string; position?: string; code?: string};
		const position = phase === 'migration' ? Number(pgError.position) || undefined : undefined;
		const replay = !baselined && phase !== 'record' && !scope.noReplay?.includes(pgError.code ?? '');
		const where = position
			? locate(migration.sql, position)
			: replay
				? await findFailingStatement(client, migration.sql, scope).catch((): {line?: number; statement?: string} => ({}))
				: {};
		throw new MigrationError(
			`migration ${migration.file} failed${where.line ? ` at line ${where.line}` : ''}: ${pgError.message}`,
			migration,
			{...where, serverMessage: pgError.message, code: pgError.code},
		);
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

/** The pending migrations, in order, each by runMigration in `scope`. */
async function runPending(client: pg.ClientBase, options: ApplyOptions, scope: Scope): Promise<Migration[]> {
	const migrations = options.migrations ?? loadMigrations();
	await client.query(sqlText('runner/create_tracking_table'));
	// Read after the lock: a runner that held it may have applied everything.
	const status = await readMigrationStatus(client, migrations);
	if (status.changed.length > 0) throw new ChangedMigrationError(status.changed);
	const baseline = new Set(options.baseline ?? []);
	const done: Migration[] = [];
	for (const migration of status.pending) {
		options.onStart?.(migration);
		const ms = await runMigration(client, migration, baseline.has(migration.version), scope);
		done.push(migration);
		options.onApplied?.(migration, ms);
	}

	return done;
}

/** Applies every pending migration in order. The client must not be inside a
 * transaction. Returns the migrations it applied (none when up to date). */
export async function applyMigrations(client: pg.ClientBase, options: ApplyOptions = {}): Promise<Migration[]> {
	await acquireLock(client, options);
	try {
		return await runPending(client, options, ownTransaction);
	} finally {
		await client.query(sqlText('runner/unlock')).catch(() => {});
	}
}

export type DryRunLimits = {lockTimeoutMs: number; statementTimeoutMs: number};
export const dryRunLimits: DryRunLimits = {lockTimeoutMs: 5000, statementTimeoutMs: 60_000};

export type DryRunResult = {
	/** Each migration that ran (or, baselined, was recorded), in order. */
	ran: Array<{migration: Migration; ms: number}>;
	/** The first that failed; none after it ran. */
	failed?: MigrationError;
	/** Set when the failure is the dry run's own limit, not a failure the real run would meet. */
	stoppedBy?: 'lock_timeout' | 'statement_timeout';
	limits: DryRunLimits;
};

/** The first statement of `sql` that opens or ends a transaction: inside the
 * dry run's own one it would commit it (or leave it), so such a migration
 * cannot be rehearsed. The body of a BEGIN ATOMIC function, which the splitter
 * cuts at each semicolon, up to its END, is not one. */
function transactionControl(sql: string): {line: number; text: string} | undefined {
	let atomic = false;
	for (const statement of splitStatements(sql)) {
		if (atomic) {
			if (/^end\b/i.test(statement.text)) atomic = false;
			continue;
		}

		if (/^(?:begin|start\s+transaction|commit|end|rollback|abort|savepoint|release|prepare\s+transaction)\b/i.test(statement.text)) return statement;
		atomic = /\bbegin\s+atomic\b/i.test(statement.text) && !/\bend\s*;?\s*$/i.test(statement.text);
	}

	return undefined;
}

export class DryRunRefusedError extends Error {
	constructor(
		readonly migration: Migration,
		readonly line: number,
		readonly statement: string,
	) {
		super(
			`migration ${migration.file} line ${line} controls the transaction (${/^[a-z]+/i.exec(statement)?.[0].toUpperCase()}); run inside the dry run's transaction it would end it, so nothing was run`,
		);
		this.name = 'DryRunRefusedError';
	}
}

/** migrate --dry-run: every pending migration, in order, by the same code as
 * applyMigrations (same SQL, same baselining, same failure location), but in
 * ONE transaction that is always rolled back - a savepoint per migration stands
 * in for its own transaction - so nothing persists. Takes the runner's advisory
 * lock like applyMigrations, and the migrations' own locks until it ends, under
 * a lock_timeout and a statement_timeout (limits). Stops at the first failure. */
export async function dryRunMigrations(
	client: pg.ClientBase,
	options: ApplyOptions & {limits?: DryRunLimits} = {},
): Promise<DryRunResult> {
	const migrations = options.migrations ?? loadMigrations();
	const limits = options.limits ?? dryRunLimits;
	await acquireLock(client, options);
	try {
		// Refused before anything runs.
		const baseline = new Set(options.baseline ?? []);
		const {pending} = await readMigrationStatus(client, migrations);
		for (const migration of pending.filter(m => !baseline.has(m.version))) {
			const statement = transactionControl(migration.sql);
			if (statement) throw new DryRunRefusedError(migration, statement.line, statement.text);
		}

		const ran: DryRunResult['ran'] = [];
		await client.query(sqlText('migrate/begin_dry_run'));
		try {
			const {rows} = await client.query<{name: string; ours: boolean}>(sqlText('migrate/dry_run_limits'), [
				limits.lockTimeoutMs,
				limits.statementTimeoutMs,
			]);
			const ours = new Set(rows.filter(row => row.ours).map(row => row.name));
			try {
				await runPending(
					client,
					{
						...options,
						migrations,
						onApplied(migration, ms) {
							ran.push({migration, ms});
							options.onApplied?.(migration, ms);
						},
					},
					// A statement cancelled by the dry run's own statement_timeout is not
					// replayed: that would hold the locks taken so far as long again.
					dryRunSavepoint(ours.has('statement_timeout') ? ['57014'] : []),
				);
				return {ran, limits};
			} catch (error) {
				if (!(error instanceof MigrationError)) throw error;
				const {code} = error.detail;
				const stoppedBy =
					code === '55P03' && ours.has('lock_timeout')
						? 'lock_timeout'
						: code === '57014' && ours.has('statement_timeout')
							? 'statement_timeout'
							: undefined;
				return {ran, failed: error, limits, ...(stoppedBy ? {stoppedBy} : {})};
			}
		} finally {
			// Always, whatever happened: this is what makes it a dry run.
			await client.query(sqlText('migrate/rollback'));
		}
	} finally {
		await client.query(sqlText('runner/unlock')).catch(() => {});
	}
}
