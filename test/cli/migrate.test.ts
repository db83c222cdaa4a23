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

/** Every row of every table, as row_to_json text, for a byte-for-byte before/after comparison. */
async function allRows(database: string): Promise<Record<string, string[]>> {
	const tables = await server.query<{name: string}>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", [], database);
	const result: Record<string, string[]> = {};
	for (const {name} of tables) {
		const rows = await server.query<{r: string}>(`SELECT row_to_json(t)::text AS r FROM ${name} t ORDER BY 1`, [], database);
		result[name] = rows.map(row => row.r);
	}

	return result;
}

type DryRunStep = {file: string; action: string; outcome: string; statement?: string};

/** The dry run's steps as printed: file, apply or baseline, and how it went. */
function dryRunSteps(stdout: string): DryRunStep[] {
	const steps: DryRunStep[] = [];
	for (const line of stdout.split('\n')) {
		const step = /^ {2}\d+\. (\S+) {2}(apply|baseline)\b/.exec(line);
		if (step) steps.push({file: step[1]!, action: step[2]!, outcome: ''});
		const outcome = /^ {7}(ok \(\d+ ms\)|ok: recorded as baselined, not run|would fail.*|stopped by .*|not reached)$/.exec(line);
		if (outcome && steps.length > 0) steps.at(-1)!.outcome = outcome[1]!;
		const statement = /^ {7}statement: (.*)$/.exec(line);
		if (statement && steps.length > 0) steps.at(-1)!.statement = statement[1]!;
	}

	return steps;
}

type Failure = {file: string; line: string | undefined; message: string; statement: string | undefined};

/** The one stderr line of a dry run whose plan would fail, and of the real run that failed. */
function dryRunFailure(stderr: string): Failure | undefined {
	const match = /^handoff-top: dry run: migration (\S+?)(?: line (\d+))? would fail and be rolled back(?: \(the \d+ before it would stay applied\))?; nothing changed: (.*?)(?:; statement: (.*))?\n$/.exec(stderr);
	return match ? {file: match[1]!, line: match[2], message: match[3]!, statement: match[4]} : undefined;
}

function runFailure(stderr: string): Failure | undefined {
	const match = /^handoff-top: migration (\S+?)(?: line (\d+))? failed and was rolled back \(nothing of it applied\): (.*?)(?:; statement: (.*))?\n$/.exec(stderr);
	return match ? {file: match[1]!, line: match[2], message: match[3]!, statement: match[4]} : undefined;
}

describe('handoff-top migrate on a populated base database', () => {
	let database: string;
	let rowsBefore: Record<string, unknown[]>;
	/** The migrations the dry run ran, which the real run must apply. */
	let dryRunListed: string[] = [];
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
		// and it ran them: each one, in order, ok
		expect(dryRunSteps(run.stdout)).toEqual(migrations.map(m => ({file: m.file, action: 'apply', outcome: expect.stringMatching(/^ok \(\d+ ms\)$/)})));
		dryRunListed = dryRunSteps(run.stdout).map(step => step.file);
		expect(run.stdout).toMatch(new RegExp(`\\ndry run ok: all ${migrations.length} migrations ran and were rolled back, nothing changed\\n$`));
		expect(await server.withClient(database, inspectSchema)).toEqual(before);
		expect(await baseRows(database)).toEqual(rowsBefore);
		const [{tracked}] = await server.query("SELECT to_regclass('handoff_top_migrations') IS NOT NULL AS tracked", [], database);
		expect(tracked).toBe(false);
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
		const applied = (await history(database)).map(row => migrations.find(m => m.version === row.version)?.file);
		expect(applied).toEqual(dryRunListed);
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
		const dry = await migrate(database, ['--dry-run', '--no-backup']);
		expect(dry.code).toBe(0);
		for (const m of migrations) {
			expect(dry.stdout).toMatch(new RegExp(`${m.version}\\. ${m.file.replace('.', '\\.')} {2}${m.version <= upTo ? 'baseline' : 'apply'}`));
		}
		expect(dryRunSteps(dry.stdout).map(step => [step.file, step.outcome.replace(/\d+ ms/, 'N ms')])).toEqual(
			migrations.map(m => [m.file, m.version <= upTo ? 'ok: recorded as baselined, not run' : 'ok (N ms)']),
		);
		if (upTo === 5) {
			// 006 replaces the per-purpose child-table triggers with one
			expect(dry.stdout).toMatch(/006_lighter_triggers\.sql {2}apply: creates or changes \d+ objects, drops \d+/);
			expect(dry.stdout).toMatch(/drops functions: enforce_archived_child_read_only\(\), notify_lifecycle_listeners\(\), record_session_activity\(\), set_context_content_size\(\)/);
		}
		expect(await history(database).catch(() => [])).toEqual([]);
		const run = await migrate(database, ['--no-backup']);
		expect(run.code).toBe(0);
		// exactly what the dry run listed, in its order
		expect(run.stdout.split('\n').flatMap(line => /^ {2}(?:applied|baselined) (\S+)/.exec(line)?.[1] ?? [])).toEqual(dryRunSteps(dry.stdout).map(step => step.file));
		expect(await history(database)).toEqual(migrations.map(m => ({version: m.version, baselined: m.version <= upTo})));
		expect((await runBinary(bin.bin, ['validate', '--dsn', server.url(database)])).code).toBe(0);
	});
});

// Databases where migrate fails. The first always does: a DBA's "no drops
// here" event trigger refuses the first migration that drops something. The
// others are legacy states of the issue's users (on which the migrations were
// failing; a revised migration may now take them in its stride): whichever way
// the real run goes, the dry run must have said so, exactly.
const failingStates: Array<{name: string; sql: string; mustFail?: RegExp}> = [
	{
		name: 'an event trigger that refuses every DROP',
		mustFail: /^objects may not be dropped on this database \(DROP [A-Z ]+\)$/,
		sql: `CREATE FUNCTION refuse_drops() RETURNS event_trigger LANGUAGE plpgsql AS $$
		      BEGIN
		          RAISE EXCEPTION 'objects may not be dropped on this database (%)', tg_tag;
		      END;
		      $$;
		      CREATE EVENT TRIGGER refuse_drops ON sql_drop EXECUTE FUNCTION refuse_drops();`,
	},
	{
		name: 'a legacy session_monitoring_view with other columns',
		sql: `CREATE VIEW session_monitoring_view AS
		      SELECT s.id, s.session_key, s.agent_from, s.agent_to, s.status, s.created_at, s.updated_at, s.expires_at,
		             (SELECT count(*) FROM context_history ch WHERE ch.session_id = s.id) AS context_count,
		             (SELECT count(*) FROM handoff_requests hr WHERE hr.session_id = s.id) AS handoff_count
		        FROM sessions s`,
	},
	{
		name: "a legacy session_lifecycle with 'expiration_scheduled' and 'SessionExpired' events",
		sql: `CREATE TABLE session_lifecycle (
		          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
		          session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
		          event_type varchar(50) NOT NULL CONSTRAINT session_lifecycle_event_type_check
		              CHECK (event_type IN ('created', 'expired', 'archived', 'status_changed', 'expiration_scheduled', 'SessionExpired')),
		          event_data jsonb NOT NULL DEFAULT '{}',
		          created_at timestamptz NOT NULL DEFAULT now());
		      INSERT INTO session_lifecycle (session_id, event_type, event_data, created_at)
		      SELECT id, CASE WHEN status = 'active' THEN 'expiration_scheduled' ELSE 'SessionExpired' END,
		             jsonb_build_object('at', expires_at), created_at
		        FROM sessions`,
	},
];

describe.concurrent('handoff-top migrate --dry-run runs the migrations and rolls them back', () => {
	it.each(failingStates)('$name: the dry run says what the real run then does (the migration, line, statement and message it fails at), changing nothing', async state => {
		const database = await populatedBase();
		await server.query(state.sql, [], database);
		const schemaBefore = await server.withClient(database, inspectSchema);
		const rowsBefore = await allRows(database);

		const dry = await migrate(database, ['--dry-run', '--no-backup']);
		if (state.mustFail) expect(dry.code, dry.stdout).toBe(1);
		const steps = dryRunSteps(dry.stdout);
		expect(steps.map(step => step.file)).toEqual(migrations.map(m => m.file));
		// nothing changed: catalog, every row, no tracking table
		expect(await server.withClient(database, inspectSchema)).toEqual(schemaBefore);
		expect(await allRows(database)).toEqual(rowsBefore);

		const run = await migrate(database, ['--no-backup']);
		expect(run.code).toBe(dry.code);
		const applied = run.stdout.split('\n').flatMap(text => /^ {2}applied (\S+)/.exec(text)?.[1] ?? []);
		if (dry.code === 0) {
			expect(steps.every(step => /^ok \(\d+ ms\)$/.test(step.outcome))).toBe(true);
			expect(dry.stderr).toBe('');
			expect(applied).toEqual(steps.map(step => step.file));
			return;
		}

		const predicted = dryRunFailure(dry.stderr);
		expect(predicted, dry.stderr).toMatchObject({line: expect.stringMatching(/^\d+$/), statement: expect.any(String)});
		if (state.mustFail) expect(predicted!.message).toMatch(state.mustFail);
		const failing = migrations.findIndex(m => m.file === predicted!.file);
		expect(failing).toBeGreaterThanOrEqual(0);
		expect(steps.slice(0, failing).every(step => /^ok \(\d+ ms\)$/.test(step.outcome))).toBe(true);
		expect(steps[failing]).toEqual({
			file: predicted!.file,
			action: 'apply',
			outcome: `would fail at line ${predicted!.line}: ${predicted!.message}`,
			statement: predicted!.statement,
		});
		expect(steps.slice(failing + 1).every(step => step.outcome === 'not reached')).toBe(true);
		expect(dry.stdout).not.toContain('dry run ok');
		// the real run fails there, having applied what the dry run ran before it
		expect(runFailure(run.stderr), run.stderr).toEqual(predicted);
		expect(applied).toEqual(steps.slice(0, failing).map(step => step.file));
		expect((await history(database)).map(row => row.version)).toEqual(migrations.slice(0, failing).map(m => m.version));
	});

	it('as a role that may not change the schema: exits 7 as the real run does, and changes nothing', async () => {
		const database = await populatedBase();
		const role = await server.role('dry-run-pw');
		await server.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
		const credentials = {user: role, password: 'dry-run-pw'};
		const schemaBefore = await server.withClient(database, inspectSchema);
		const dry = await runBinary(bin.bin, ['migrate', '--dry-run', '--dsn', server.url(database, credentials)]);
		expect(dry.stderr).toMatch(/^handoff-top: permission denied/);
		expect(dry.code).toBe(7);
		const run = await runBinary(bin.bin, ['migrate', '--no-backup', '--dsn', server.url(database, credentials)]);
		expect(run.stderr).toMatch(/^handoff-top: permission denied/);
		expect(run.code).toBe(7);
		expect(await server.withClient(database, inspectSchema)).toEqual(schemaBefore);
	});

	it('a deferred constraint the migration breaks fails the dry run as COMMIT fails the real run', async () => {
		const database = await server.migrated();
		const next = String(migrations.at(-1)!.version + 1).padStart(3, '0');
		const dir = migrationsCopy(copy => {
			writeFileSync(
				path.join(copy, `${next}_deferred.sql`),
				'CREATE TABLE deferred_probe (id integer PRIMARY KEY, parent integer REFERENCES deferred_probe (id) DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO deferred_probe VALUES (1, 2);\n',
			);
		});
		const dry = await migrate(database, ['--dry-run'], {HANDOFF_TOP_MIGRATIONS_DIR: dir});
		expect(dry.code).toBe(1);
		const predicted = dryRunFailure(dry.stderr);
		expect(predicted, dry.stderr).toMatchObject({file: `${next}_deferred.sql`, message: expect.stringMatching(/violates foreign key constraint/)});
		const [{probe}] = await server.query("SELECT to_regclass('deferred_probe') AS probe", [], database);
		expect(probe).toBeNull();
		const run = await migrate(database, ['--no-backup'], {HANDOFF_TOP_MIGRATIONS_DIR: dir});
		expect(run.code).toBe(1);
		expect(runFailure(run.stderr), run.stderr).toEqual(predicted);
	});

	it('refuses a migration that ends the transaction itself, before running anything', async () => {
		const database = await server.migrated();
		const next = String(migrations.at(-1)!.version + 1).padStart(3, '0');
		// the END of a BEGIN ATOMIC body is not one
		const atomic = migrationsCopy(copy => {
			writeFileSync(
				path.join(copy, `${next}_atomic.sql`),
				'CREATE FUNCTION atomic_probe() RETURNS integer LANGUAGE sql\nBEGIN ATOMIC\n    SELECT 1;\nEND;\n',
			);
		});
		const fine = await migrate(database, ['--dry-run'], {HANDOFF_TOP_MIGRATIONS_DIR: atomic});
		expect(fine.stderr).toBe('');
		expect(dryRunSteps(fine.stdout)).toEqual([{file: `${next}_atomic.sql`, action: 'apply', outcome: expect.stringMatching(/^ok \(\d+ ms\)$/)}]);
		const dir = migrationsCopy(copy => {
			writeFileSync(path.join(copy, `${next}_commits.sql`), 'CREATE TABLE commit_probe (id integer);\nCOMMIT;\n');
		});
		const dry = await migrate(database, ['--dry-run'], {HANDOFF_TOP_MIGRATIONS_DIR: dir});
		expect(dry.stderr).toBe(
			`handoff-top: dry run refused: migration ${next}_commits.sql line 2 controls the transaction (COMMIT); run inside the dry run's transaction it would end it, so nothing was run; statement: COMMIT;\n`,
		);
		expect(dry.code).toBe(1);
		const [{probe}] = await server.query("SELECT to_regclass('commit_probe') AS probe", [], database);
		expect(probe).toBeNull();
	});

	it("stops at its lock_timeout instead of queueing behind a transaction that holds a table, and leaves it be", async () => {
		const database = await populatedBase();
		const schemaBefore = await server.withClient(database, inspectSchema);
		const holder = new pg.Client({connectionString: server.url(database)});
		await holder.connect();
		try {
			await holder.query('BEGIN');
			await holder.query('LOCK TABLE sessions IN ACCESS SHARE MODE');
			const started = Date.now();
			const dry = await migrate(database, ['--dry-run', '--no-backup']);
			expect(Date.now() - started).toBeLessThan(30_000);
			expect(dry.code).toBe(1);
			expect(dry.stderr).toMatch(
				/^handoff-top: dry run stopped at migration 001_enhanced_monitoring_schema\.sql line \d+, nothing changed: it waited longer than the dry run's lock_timeout \(5 s\) for a lock another session holds; migrate would wait for it, holding the locks it has: canceling statement due to lock timeout; statement: .*sessions/,
			);
			const [first, ...rest] = dryRunSteps(dry.stdout);
			expect(first!.outcome).toMatch(/^stopped by the dry run's lock_timeout at line \d+: canceling statement due to lock timeout$/);
			expect(rest.every(step => step.outcome === 'not reached')).toBe(true);
			// the holder's transaction is untouched, and the dry run left no lock behind
			expect((await holder.query('SELECT count(*)::int AS n FROM sessions')).rows[0].n).toBe(40);
			await holder.query('COMMIT');
			const locks = await server.query(
				`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
				  WHERE a.datname = $1 AND a.application_name LIKE 'handoff-top-migrate%'`,
				[database],
			);
			expect(locks[0].n).toBe(0);
		} finally {
			await holder.end();
		}

		expect(await server.withClient(database, inspectSchema)).toEqual(schemaBefore);
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
		const dry = await migrate(database, ['--dry-run'], {HANDOFF_TOP_MIGRATIONS_DIR: dir});
		expect(dry.code).toBe(1);
		expect(dryRunSteps(dry.stdout)).toEqual([
			{
				file: `${next}_broken.sql`,
				action: 'apply',
				outcome: 'would fail at line 3: relation "no_such_table" does not exist',
				statement: 'ALTER TABLE no_such_table ADD COLUMN x integer;',
			},
		]);
		expect(dry.stderr).toBe(
			`handoff-top: dry run: migration ${next}_broken.sql line 3 would fail and be rolled back; nothing changed: relation "no_such_table" does not exist; statement: ALTER TABLE no_such_table ADD COLUMN x integer;\n`,
		);
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
			// the dry run takes the same lock: it never runs alongside a real run
			const dryRefused = await migrate(database, ['--dry-run', '--no-wait']);
			expect(dryRefused.stderr).toMatch(/^handoff-top: blocked: another handoff-top migrate is running on this database/);
			expect(dryRefused.stdout).toBe('');
			expect(dryRefused.code).toBe(8);
			const dryWaiting = start(bin.bin, ['migrate', '--dry-run', '--dsn', server.url(database)]);
			await until(() => dryWaiting.output.stderr.includes('waiting for another handoff-top migrate to finish'), 15_000, 'waiting message');
			expect(dryWaiting.output.stderr).toMatch(/lock held by pid \d+/);
			expect(dryWaiting.output.stdout).toBe('');
			const waiting = start(bin.bin, ['migrate', '--no-backup', '--dsn', server.url(database)]);
			await until(() => waiting.output.stderr.includes('waiting for another handoff-top migrate to finish'), 15_000, 'waiting message');
			expect(waiting.output.stderr).toMatch(/lock held by pid \d+/);
			expect(await history(database).catch(() => [])).toEqual([]);
			await holder.query("SELECT pg_advisory_unlock(hashtext('handoff-top:migrate'))");
			// one after the other, whichever first: the dry run finds everything to do, or nothing
			expect(await exited(waiting)).toBe(0);
			expect(waiting.output.stdout).toContain('done: ');
			expect(await exited(dryWaiting)).toBe(0);
			expect(dryWaiting.output.stdout).toMatch(/\n(dry run ok: all \d+ migrations ran and were rolled back, nothing changed|up to date: \d+ migrations applied, nothing to do)\n$/);
		} finally {
			await holder.end();
		}

		expect(await history(database)).toHaveLength(migrations.length);
	});
});
