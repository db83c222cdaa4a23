// handoff-top migrate on real databases: a populated base database, the
// backup, re-runs, baselining, tamper detection, concurrent runners, a
// failing migration and the dry run.
import {spawnSync} from 'node:child_process';
import {cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {loadMigrations, migrationsDir} from '../../source/db/migrations.js';
import {inspectSchema} from '../../source/db/validation/catalog.js';
import {buildBinary, exited, runBinary, start, until} from '../commands/binary.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();
const migrations = loadMigrations();
let bin: {bin: string; remove(): void};
const scratch = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-migrate-test-'));
beforeAll(async () => {
	bin = await buildBinary();
});
afterAll(() => {
	bin?.remove();
	rmSync(scratch, {recursive: true, force: true});
});

const migrate = async (database: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
	runBinary(bin.bin, ['migrate', '--dsn', server.url(database), ...args], env);

const history = async (database: string) =>
	server.query('SELECT version, baselined FROM handoff_top_migrations ORDER BY version', [], database);

/** Base-table rows as the handoff server wrote them, for before/after comparison. */
async function baseRows(database: string) {
	const tables = {
		sessions: 'id, session_key, agent_from, agent_to, status, created_at, updated_at, expires_at, metadata',
		context_history: 'id, session_id, sequence_number, context_type, content, metadata, created_at',
		codebase_snapshots: 'id, session_id, file_path, content_hash, content, analysis_result, created_at',
		handoff_requests: 'id, session_id, requesting_agent, target_agent, request_type, request_data, status, created_at, completed_at',
	};
	const result: Record<string, unknown[]> = {};
	for (const [table, columns] of Object.entries(tables)) {
		result[table] = await server.query(`SELECT ${columns} FROM ${table} ORDER BY id`, [], database);
	}

	return result;
}

async function populatedBase(): Promise<string> {
	const database = await server.base();
	await server.query(
		`INSERT INTO sessions (session_key, agent_from, agent_to, status, created_at, updated_at, expires_at, metadata)
		 SELECT 'key-' || i, 'agent-' || (i % 3), CASE WHEN i % 2 = 0 THEN 'other' END,
		        (ARRAY['active', 'completed', 'expired'])[1 + i % 3],
		        now() - i * interval '1 hour', now() - i * interval '30 minutes', now() + interval '1 day',
		        jsonb_build_object('n', i, 'tags', jsonb_build_array('a', 'b'))
		   FROM generate_series(1, 40) AS i;
		 INSERT INTO context_history (session_id, sequence_number, context_type, content)
		 SELECT s.id, g, 'message', repeat('x', g * 10) FROM sessions s, generate_series(1, 3) AS g;
		 INSERT INTO handoff_requests (session_id, requesting_agent, target_agent, status)
		 SELECT id, agent_from, 'target', 'pending' FROM sessions;
		 INSERT INTO codebase_snapshots (session_id, file_path, content_hash, content)
		 SELECT id, '/src/' || session_key || '.ts', md5(session_key), 'code' FROM sessions;`,
		[],
		database,
	);
	return database;
}

function pgDumpMajor(): number | undefined {
	const result = spawnSync('pg_dump', ['--version'], {encoding: 'utf8'});
	const match = /(\d+)/.exec(result.stdout ?? '');
	return result.status === 0 && match ? Number(match[1]) : undefined;
}

async function serverMajor(): Promise<number> {
	const [{num}] = await server.query("SELECT current_setting('server_version_num')::int AS num");
	return Math.floor(num / 10_000);
}

/** A copy of the bundled migrations to edit. */
function migrationsCopy(edit: (dir: string) => void): string {
	const dir = mkdtempSync(path.join(scratch, 'migrations-'));
	cpSync(migrationsDir(), dir, {recursive: true});
	edit(dir);
	return dir;
}

describe('handoff-top migrate on a populated base database', () => {
	let database: string;
	let rowsBefore: Record<string, unknown[]>;
	beforeAll(async () => {
		database = await populatedBase();
		rowsBefore = await baseRows(database);
	});

	it('--dry-run prints the plan in order with what each migration creates, and changes nothing', async () => {
		const before = await server.withClient(database, inspectSchema);
		const run = await migrate(database, ['--dry-run']);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/^dry run, nothing changed: /);
		const order = migrations.map(m => run.stdout.indexOf(`. ${m.file}  apply`));
		expect(order.every(index => index > 0)).toBe(true);
		expect([...order].sort((a, b) => a - b)).toEqual(order);
		expect(run.stdout).toMatch(/1\. 001_enhanced_monitoring_schema\.sql {2}apply: creates or changes \d+ objects \(\d+ already in place\)/);
		expect(run.stdout).toMatch(/tables: analytics_aggregations, performance_logs, session_lifecycle, system_metrics/);
		expect(run.stdout).toMatch(/triggers: sessions\.log_session_lifecycle, sessions\.update_sessions_last_activity/);
		expect(await server.withClient(database, inspectSchema)).toEqual(before);
		expect(await baseRows(database)).toEqual(rowsBefore);
	});

	it('backs up first (or says why it cannot and names both ways out), migrates, and leaves every row as it was', async () => {
		const backupDir = path.join(scratch, 'backups');
		const dumpMajor = pgDumpMajor();
		const major = await serverMajor();
		if (dumpMajor !== undefined && dumpMajor >= major) {
			const run = await migrate(database, ['--backup-dir', backupDir]);
			expect(run.stderr).toBe('');
			expect(run.code).toBe(0);
			const [file] = readdirSync(backupDir);
			expect(file).toMatch(new RegExp(`^${database}-\\d{8}T\\d{6}Z-schema\\.sql$`));
			expect(run.stdout).toContain(`backup: ${path.join(backupDir, file!)}`);
			expect(readFileSync(path.join(backupDir, file!), 'utf8')).toContain('CREATE TABLE public.sessions');
			// Restored as the README says, it is the database as it was before migrating.
			const restored = await server.empty();
			const psql = spawnSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', server.url(restored), '-f', path.join(backupDir, file!)], {encoding: 'utf8'});
			expect(psql.status, psql.stderr).toBe(0);
			const [tables] = await server.query(
				"SELECT to_regclass('sessions') IS NOT NULL AS sessions, to_regclass('session_lifecycle') IS NOT NULL AS lifecycle",
				[],
				restored,
			);
			expect(tables).toEqual({sessions: true, lifecycle: false});
		} else {
			const refused = await migrate(database, ['--backup-dir', backupDir]);
			expect(refused.stderr).toMatch(
				dumpMajor === undefined
					? /^handoff-top: cannot back up: pg_dump not found on PATH: install the PostgreSQL \d+ client tools .* or take your own backup and run with --no-backup\n$/
					: new RegExp(`^handoff-top: cannot back up: pg_dump ${dumpMajor}[.\\d]* is older than the server \\(PostgreSQL ${major}[^)]*\\) and cannot dump it: install the PostgreSQL ${major} client tools .*, or take your own backup and run with --no-backup\\n$`),
			);
			expect(refused.code).toBe(8);
			expect(existsSync(backupDir) ? readdirSync(backupDir) : []).toEqual([]);
			const [{tracked}] = await server.query("SELECT to_regclass('handoff_top_migrations') IS NOT NULL AS tracked", [], database);
			expect(tracked).toBe(false);
			const run = await migrate(database, ['--no-backup']);
			expect(run.stderr).toBe('');
			expect(run.code).toBe(0);
			expect(run.stdout).toContain('backup: skipped (--no-backup)');
		}

		expect(await history(database)).toEqual(migrations.map(m => ({version: m.version, baselined: false})));
		expect(await baseRows(database)).toEqual(rowsBefore);
		const validate = await runBinary(bin.bin, ['validate', '--dsn', server.url(database)]);
		expect(validate.code).toBe(0);
	});

	it('is a no-op when run again', async () => {
		const before = await server.query('SELECT version, applied_at FROM handoff_top_migrations ORDER BY version', [], database);
		const run = await migrate(database, ['--no-backup']);
		expect(run.code).toBe(0);
		expect(run.stdout).toMatch(/^up to date: \d+ migrations applied, nothing to do/);
		expect(await server.query('SELECT version, applied_at FROM handoff_top_migrations ORDER BY version', [], database)).toEqual(before);
	});

	it('--backup full writes schema and rows in pg_dump\'s custom format', async ({skip}) => {
		const dumpMajor = pgDumpMajor();
		if (dumpMajor === undefined || dumpMajor < (await serverMajor())) skip('pg_dump is missing or older than this server (the message is tested above)');
		const fresh = await populatedBase();
		const backupDir = path.join(scratch, 'full-backups');
		const run = await migrate(fresh, ['--backup', 'full', '--backup-dir', backupDir]);
		expect(run.code).toBe(0);
		const [file] = readdirSync(backupDir);
		expect(file).toMatch(new RegExp(`^${fresh}-\\d{8}T\\d{6}Z-full\\.dump$`));
		expect(run.stdout).toContain(`backup: ${path.join(backupDir, file!)} (schema and data`);
		const listing = spawnSync('pg_restore', ['--list', path.join(backupDir, file!)], {encoding: 'utf8'});
		expect(listing.stdout).toMatch(/TABLE DATA public sessions /);
	});

	it('says pg_dump is missing, and changes nothing', async () => {
		const fresh = await populatedBase();
		const run = await migrate(fresh, [], {PATH: path.join(scratch, 'empty-path')});
		expect(run.stderr).toMatch(/^handoff-top: cannot back up: pg_dump not found on PATH: .*--no-backup\n$/);
		expect(run.code).toBe(8);
		const [{tracked}] = await server.query("SELECT to_regclass('handoff_top_migrations') IS NOT NULL AS tracked", [], fresh);
		expect(tracked).toBe(false);
	});
});

describe.concurrent('handoff-top migrate on a database that predates the tracking table', () => {
	it('baselines what is in place instead of re-creating it', async () => {
		const database = await server.migrated();
		await server.query('DROP TABLE handoff_top_migrations', [], database);
		const before = await server.withClient(database, inspectSchema);
		const run = await migrate(database, ['--no-backup']);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		for (const m of migrations) expect(run.stdout).toContain(`baselined ${m.file}`);
		expect(run.stdout).toContain(`done: 0 applied, ${migrations.length} baselined`);
		expect(await history(database)).toEqual(migrations.map(m => ({version: m.version, baselined: true})));
		const after = await server.withClient(database, inspectSchema);
		const withoutTracking = Object.fromEntries(
			Object.entries(after).filter(([, o]) => o.name !== 'handoff_top_migrations' && o.relation !== 'handoff_top_migrations'),
		);
		expect(withoutTracking).toEqual(before);
	});

	// 5: the objects 001-003 made and 006 changes or drops are there as 001-003 left them
	it.each([2, 5])('baselines the migrations in place (up to %i) and applies the rest', async upTo => {
		const database = await server.migrated(upTo);
		await server.query('DROP TABLE handoff_top_migrations', [], database);
		const dry = await migrate(database, ['--dry-run']);
		for (const m of migrations) {
			expect(dry.stdout).toMatch(new RegExp(`${m.version}\\. ${m.file.replace('.', '\\.')} {2}${m.version <= upTo ? 'baseline' : 'apply'}`));
		}
		if (upTo === 5) {
			// 006 replaces the per-purpose child-table triggers with one
			expect(dry.stdout).toMatch(/006_lighter_triggers\.sql {2}apply: creates or changes \d+ objects, drops \d+/);
			expect(dry.stdout).toMatch(/drops functions: enforce_archived_child_read_only\(\), notify_lifecycle_listeners\(\), record_session_activity\(\), set_context_content_size\(\)/);
		}
		const run = await migrate(database, ['--no-backup']);
		expect(run.code).toBe(0);
		expect(await history(database)).toEqual(migrations.map(m => ({version: m.version, baselined: m.version <= upTo})));
		expect((await runBinary(bin.bin, ['validate', '--dsn', server.url(database)])).code).toBe(0);
	});
});

describe.concurrent('handoff-top migrate safety', () => {
	it('blocks with exit 8 when an applied migration file has changed', async () => {
		const database = await server.migrated();
		const dir = migrationsCopy(copy => {
			const file = path.join(copy, '002_lifecycle_engine.sql');
			writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- edited after it was applied\n`);
		});
		const run = await migrate(database, ['--no-backup'], {HANDOFF_TOP_MIGRATIONS_DIR: dir});
		expect(run.stdout).toBe('');
		expect(run.stderr).toMatch(/^handoff-top: blocked: applied migration file changed since it was applied: 002_lifecycle_engine\.sql \(applied [0-9a-f]{12}, now [0-9a-f]{12}\); restore the file/);
		expect(run.code).toBe(8);
		const dry = await migrate(database, ['--dry-run'], {HANDOFF_TOP_MIGRATIONS_DIR: dir});
		expect(dry.stderr).toMatch(/^handoff-top: blocked: applied migration file changed since it was applied: 002_lifecycle_engine\.sql/);
		expect(dry.code).toBe(8);
	});

	it('rolls a failing migration back completely and reports file, line, statement and server message', async () => {
		const database = await server.migrated();
		const next = String(migrations.at(-1)!.version + 1).padStart(3, '0');
		const dir = migrationsCopy(copy => {
			writeFileSync(
				path.join(copy, `${next}_broken.sql`),
				'-- a migration that fails half way\nCREATE TABLE broken_probe (id integer);\nALTER TABLE no_such_table\n    ADD COLUMN x integer;\n',
			);
		});
		const run = await migrate(database, ['--no-backup'], {HANDOFF_TOP_MIGRATIONS_DIR: dir});
		expect(run.stderr).toMatch(
			new RegExp(`^handoff-top: migration ${next}_broken\\.sql line 3 failed and was rolled back \\(nothing of it applied\\): relation "no_such_table" does not exist; statement: ALTER TABLE no_such_table ADD COLUMN x integer;\\n$`),
		);
		expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
		expect(run.code).toBe(1);
		const [{probe}] = await server.query("SELECT to_regclass('broken_probe') AS probe", [], database);
		expect(probe).toBeNull();
		expect((await history(database)).map(row => row.version)).toEqual(migrations.map(m => m.version));
	});

	it('two runners at once: one applies, the other waits; neither applies a migration twice', async () => {
		const database = await populatedBase();
		const runs = await Promise.all([migrate(database, ['--no-backup']), migrate(database, ['--no-backup'])]);
		expect(runs.map(run => run.code)).toEqual([0, 0]);
		const appliedLines = runs.flatMap(run => run.stdout.split('\n').filter(line => /^\s+applied /.test(line)));
		expect(appliedLines).toHaveLength(migrations.length);
		expect(await history(database)).toEqual(migrations.map(m => ({version: m.version, baselined: false})));
	});

	it('while another runner holds the lock: waits with a message by default, exits 8 with --no-wait', async () => {
		const database = await populatedBase();
		const holder = new pg.Client({connectionString: server.url(database)});
		await holder.connect();
		try {
			await holder.query("SELECT pg_advisory_lock(hashtext('handoff-top:migrate'))");
			const refused = await migrate(database, ['--no-backup', '--no-wait']);
			expect(refused.stderr).toMatch(/^handoff-top: blocked: another handoff-top migrate is running on this database/);
			expect(refused.code).toBe(8);
			const waiting = start(bin.bin, ['migrate', '--no-backup', '--dsn', server.url(database)]);
			await until(() => waiting.output.stderr.includes('waiting for another handoff-top migrate to finish'), 15_000, 'waiting message');
			expect(waiting.output.stderr).toMatch(/lock held by pid \d+/);
			expect(await history(database).catch(() => [])).toEqual([]);
			await holder.query("SELECT pg_advisory_unlock(hashtext('handoff-top:migrate'))");
			expect(await exited(waiting)).toBe(0);
			expect(waiting.output.stdout).toContain('done: ');
		} finally {
			await holder.end();
		}

		expect(await history(database)).toHaveLength(migrations.length);
	});
});
