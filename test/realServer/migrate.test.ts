// handoff-top on the real handoff server's databases (issue 12): every state
// its users' databases can be in migrates to the complete schema with its rows
// untouched, validates clean, and keeps the server starting; after the
// server's start-up DDL (once, twice, before and after migrate) every
// guarantee of handoff-top still holds, and every statement the server sends
// succeeds but its own two bugs, with no lifecycle event written twice.
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {afterAll, describe, expect, it} from 'vitest';
import {buildBinary, runBinary} from '../commands/binary.js';
import {applyMigrations, checksum, loadMigrations, readMigrationStatus, type Migration} from '../../source/db/migrations.js';
import {packageRoot} from '../../source/paths.js';
import {validateDatabase} from '../../source/db/validation/validate.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';
import {runServerTraffic} from '../helpers/realServer/states.js';
import {buildState, realServerStates, type RealServerState} from '../helpers/realServer/states.js';
import {runStartupDdl, tryStartupDdl} from '../helpers/realServer/startupDdl.js';
import {ServerRuntime} from '../helpers/realServer/runtime.js';

const server = useServerDatabases();
type Client = pg.Client;

/** Every row of every table that existed before, by the columns it had then (sorted, as JSON). */
async function rowsOf(client: Client, columnsOf: Map<string, string[]>): Promise<Record<string, string[]>> {
	const result: Record<string, string[]> = {};
	for (const [table, columns] of columnsOf) {
		const list = columns.map(c => `'${c}', t.${c}`).join(', ');
		const {rows} = await client.query<{row: string}>(`SELECT jsonb_build_object(${list})::text AS row FROM ${table} t`);
		result[table] = rows.map(r => r.row).sort();
	}

	return result;
}

async function tablesAndColumns(client: Client): Promise<Map<string, string[]>> {
	const {rows} = await client.query<{table: string; columns: string[]}>(
		`SELECT c.relname AS table, array_agg(a.attname::text ORDER BY a.attnum) AS columns
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
		   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		  WHERE c.relkind = 'r' GROUP BY c.relname`,
	);
	return new Map(rows.map(r => [r.table, r.columns]));
}

/** Valid, non-partial B-tree indexes whose key columns another such index of their table starts with. */
async function repeatedIndexes(client: Client): Promise<string[]> {
	const {rows} = await client.query<{name: string; repeated_by: string}>(`
		WITH i AS (
			SELECT ic.relname AS name, x.indrelid AS tab, x.indisunique AS uniq,
			       (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), ',' ORDER BY k) FROM generate_series(1, x.indnkeyatts) k) || ',' AS cols
			  FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
			 WHERE n.nspname = 'public' AND x.indisvalid AND x.indpred IS NULL AND x.indexprs IS NULL
			   AND ic.relam = (SELECT oid FROM pg_am WHERE amname = 'btree'))
		SELECT a.name, b.name AS repeated_by FROM i a JOIN i b ON b.tab = a.tab AND b.name <> a.name AND NOT a.uniq
		 WHERE left(b.cols, length(a.cols)) = a.cols ORDER BY 1, 2`);
	// the spec names idx_performance_logs_operation, which idx_performance_logs_operation_created_at repeats: it stays
	return rows.map(r => `${r.name} (repeated by ${r.repeated_by})`).filter(row => !row.startsWith('idx_performance_logs_operation (repeated by idx_performance_logs_operation_created_at'));
}

async function expectValidates(client: Client, when: string): Promise<void> {
	const result = await validateDatabase(client);
	const drift = result.differences.filter(d => d.severity !== 'info');
	expect(drift, `validate ${when}`).toEqual([]);
	expect(result.ok).toBe(true);
}

async function withDatabase<T>(run: (client: Client, url: string) => Promise<T>): Promise<T> {
	const database = await server.empty();
	return server.withClient(database, async client => run(client, server.url(database)));
}

describe.concurrent('migrate on each state of the real server\'s databases', {timeout: 120_000}, () => {
	for (const state of realServerStates) {
		it(`${state}: complete schema, rows untouched, second run a no-op, validate clean, the server starts (and again), still clean`, async () => {
			await withDatabase(async client => {
				await buildState(client, state, {rows: true});
				const before = await tablesAndColumns(client);
				const rowsBefore = await rowsOf(client, before);
				const applied = await applyMigrations(client);
				expect(applied.length).toBeGreaterThan(0);
				expect(await rowsOf(client, before), 'rows of the tables that were there').toEqual(rowsBefore);
				expect(await applyMigrations(client), 'second run').toEqual([]);
				expect((await readMigrationStatus(client)).pending).toEqual([]);
				await expectValidates(client, `after migrate on ${state}`);
				expect(await repeatedIndexes(client), `indexes another index repeats, after migrate on ${state}`).toEqual([]);
				for (const round of [1, 2]) {
					const started = await tryStartupDdl(client);
					expect(started, `server start ${round} after migrate on ${state}`).toEqual({ok: true});
					await expectValidates(client, `after server start ${round} on ${state}`);
					// the names of the server's indexes that another index repeats are taken (012): its start adds
					// only indexes of its own that nothing else answers, none for writes to pay twice
					expect(await repeatedIndexes(client), `indexes another index repeats, after server start ${round} on ${state}`).toEqual([]);
				}

				expect(await applyMigrations(client), 'migrate after the server started').toEqual([]);
				expect(await rowsOf(client, before)).toEqual(rowsBefore);
			});
		});
	}

	it('the server starting first and handoff-top migrating after, then the server again: same', async () => {
		await withDatabase(async client => {
			expect(await tryStartupDdl(client)).toEqual({ok: true});
			await runServerTraffic(client);
			await applyMigrations(client);
			await expectValidates(client, 'after migrate on a database the server made and used');
			expect(await tryStartupDdl(client)).toEqual({ok: true});
			await expectValidates(client, 'after the next server start');
		});
	});
});

/** A database in the state the real world has: handoff-top set up (or migrated) and the server started on it, twice. */
async function realState(client: Client, from: RealServerState | 'setup'): Promise<void> {
	if (from === 'setup') {
		await applyMigrations(client);
	} else {
		await buildState(client, from, {rows: false});
		await applyMigrations(client);
	}

	await runStartupDdl(client);
	await runStartupDdl(client);
}

async function session(client: Client, key: string) {
	const {rows} = await client.query('SELECT * FROM sessions WHERE session_key = $1', [key]);
	return rows[0];
}

async function eventsOf(client: Client, sessionId: string) {
	const {rows} = await client.query<{event_type: string; event_data: Record<string, unknown>; written_by: string | null}>(
		'SELECT event_type, event_data, written_by FROM session_lifecycle WHERE session_id = $1 ORDER BY xid, seq',
		[sessionId],
	);
	return rows;
}

async function backdate(client: Client, id: string, hours: number): Promise<Date> {
	// As the sweep's own bookkeeping would leave it: the server's trigger sets now() on every update, so the
	// test backdates with handoff-top's triggers disabled for one statement.
	await client.query('ALTER TABLE sessions DISABLE TRIGGER USER');
	try {
		await client.query(`UPDATE sessions SET last_activity_at = now() - $2 * interval '1 hour' WHERE id = $1`, [id, hours]);
	} finally {
		await client.query('ALTER TABLE sessions ENABLE TRIGGER USER');
	}

	return (await client.query('SELECT last_activity_at FROM sessions WHERE id = $1', [id])).rows[0].last_activity_at;
}

for (const from of ['setup', 'compose-init-then-server', 'base-only'] as const) {
	describe.concurrent(`after the server's start-up DDL (database from ${from}): handoff-top's guarantees`, {timeout: 60_000}, () => {
		it('the server\'s statements all succeed but its own two bugs, and no lifecycle event is written twice', async () => {
			await withDatabase(async client => {
				await realState(client, from);
				const runtime = await runServerTraffic(client);
				const failures = runtime.failures().map(f => `${f.name}: ${f.error?.code}`);
				expect(failures.filter(f => !/\(server bug\)/.test(f))).toEqual([]);
				const {rows: twice} = await client.query(
					`SELECT s.session_key, l.event_type, count(*)::int AS n
					   FROM session_lifecycle l JOIN sessions s ON s.id = l.session_id
					  GROUP BY 1, 2 HAVING count(*) > 1`,
				);
				expect(twice).toEqual([]);
				// Each expiry is one 'expired' event, merged with the server's own row.
				const expired = await session(client, 'srv-expired');
				const events = await eventsOf(client, expired.id);
				expect(events.filter(e => e.event_type === 'expired')).toHaveLength(1);
				expect(events.filter(e => e.event_type === 'status_changed' && e.event_data['new_status'] === 'expired')).toEqual([]);
				expect(events.find(e => e.event_type === 'expired')).toMatchObject({written_by: 'trigger+application'});
				expect(events.map(e => e.event_type)).toContain('expiration_scheduled');
			});
		});

		it('the event-type rule and the name holders survive the server\'s start: a type that is not a lower-case name is refused on insert and on update; the server re-adds none of the indexes whose names are held', async () => {
			await withDatabase(async client => {
				await realState(client, from);
				const {rows} = await client.query<{id: string}>(`INSERT INTO sessions (session_key, agent_from) VALUES ('rule-check', 'claude-code') RETURNING id`);
				const id = rows[0]!.id;
				await client.query(`INSERT INTO session_lifecycle (session_id, event_type) VALUES ($1, 'expiration_scheduled')`, [id]);
				for (const bad of ['Expired', 'status changed', '', '9lives']) {
					await expect(client.query(`INSERT INTO session_lifecycle (session_id, event_type) VALUES ($1, $2)`, [id, bad]), bad).rejects.toMatchObject({
						code: '23514',
						constraint: 'session_lifecycle_event_type_check',
					});
				}

				await expect(client.query(`UPDATE session_lifecycle SET event_type = 'Not Lower' WHERE session_id = $1`, [id])).rejects.toMatchObject({code: '23514'});
				const held = await client.query<{relname: string; kind: string}>(
					`SELECT relname, relkind::text AS kind FROM pg_class
					  WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1) ORDER BY 1`,
					[['idx_sessions_status', 'idx_session_lifecycle_event_type', 'idx_context_history_session_id']],
				);
				expect(held.rows.map(r => `${r.relname} ${r.kind}`)).toEqual([
					'idx_context_history_session_id S',
					'idx_session_lifecycle_event_type S',
					'idx_sessions_status S',
				]);
			});
		});

		it('last_activity_at moves only on real activity: dormancy, archival, expiry, scheduling leave it; context and a touch move it', async () => {
			await withDatabase(async client => {
				await realState(client, from);
				const runtime = new ServerRuntime(client);
				const registered = await runtime.registerSession({sessionKey: 'act', agentFrom: 'claude'});
				expect(registered.ok).toBe(true);
				const id = (await session(client, 'act')).id as string;
				const idle = await backdate(client, id, 5);
				await runtime.scheduleExpiration(id, new Date(Date.now() + 3600e3));
				expect((await session(client, 'act')).last_activity_at, 'scheduling the expiry').toEqual(idle);
				await runtime.markSessionDormant(id);
				expect((await session(client, 'act')).last_activity_at, 'marking dormant').toEqual(idle);
				await client.query(`UPDATE sessions SET metadata = '{"k": 1}' WHERE id = $1`, [id]);
				expect((await session(client, 'act')).last_activity_at, 'changing the metadata').toEqual(idle);
				const dormant = await eventsOf(client, id);
				expect(dormant.at(-1)).toMatchObject({event_type: 'dormant'});
				expect(Number(dormant.at(-1)!.event_data['inactive_hours'])).toBeCloseTo(5, 1);
				// New context: activity, which reactivates the dormant session.
				await runtime.updateContext({sessionKey: 'act', contextType: 'user_input', content: 'back'});
				const back = await session(client, 'act');
				expect(back.last_activity_at.getTime()).toBeGreaterThan(idle.getTime());
				expect(back.is_dormant).toBe(false);
				expect((await eventsOf(client, id)).map(e => e.event_type)).toContain('reactivated');
				const active = await backdate(client, id, 1);
				await runtime.expireSession(id);
				expect((await session(client, 'act')).last_activity_at, 'expiring').toEqual(active);
				await runtime.archiveSession(id);
				expect((await session(client, 'act')).last_activity_at, 'archiving').toEqual(active);
			});
		});

		it('archived sessions are read-only; a DELETE is refused until the purge is due, then allowed, with the audit row', async () => {
			await withDatabase(async client => {
				await realState(client, from);
				const runtime = new ServerRuntime(client);
				await runtime.registerSession({sessionKey: 'young', agentFrom: 'claude'});
				await runtime.registerSession({sessionKey: 'old', agentFrom: 'claude'});
				const young = (await session(client, 'young')).id as string;
				const old = (await session(client, 'old')).id as string;
				await runtime.storePerformanceLog('handoff', 12, true, old);
				await runtime.archiveSession(young);
				await runtime.archiveSession(old, new Date(Date.now() - 40 * 86_400_000)); // standard policy: purge 30 days after archival
				await expect(client.query(`UPDATE sessions SET metadata = '{}' WHERE id = $1`, [young])).rejects.toMatchObject({code: '25006'});
				await expect(client.query(`UPDATE sessions SET status = 'active', archived_at = NULL WHERE id = $1`, [young])).rejects.toMatchObject({code: '25006'});
				await expect(client.query('INSERT INTO context_history (session_id, sequence_number, context_type, content) VALUES ($1, 99, $2, $3)', [young, 'message', 'x'])).rejects.toMatchObject({code: '25006'});
				await expect(client.query('DELETE FROM sessions WHERE id = $1', [young])).rejects.toMatchObject({code: '25006'});
				const retention = await runtime.enforceRetention();
				// The server deletes what is archived longer than its own TTL (30 days): 'old', allowed since its purge is due.
				expect(retention.failures).toEqual([]);
				expect(retention.deleted).toBe(1);
				expect(await session(client, 'old')).toBeUndefined();
				expect(await session(client, 'young')).toBeDefined();
				const {rows: audit} = await client.query('SELECT session_key, deleted_rows, lifecycle_events FROM session_purge_audit WHERE session_id = $1', [old]);
				expect(audit).toHaveLength(1);
				expect(audit[0].session_key).toBe('old');
				expect(audit[0].deleted_rows).toMatchObject({performance_logs_detached: 1});
				expect(audit[0].lifecycle_events.map((e: {event_type: string}) => e.event_type)).toEqual(expect.arrayContaining(['created', 'archived']));
				const {rows: detached} = await client.query("SELECT count(*)::int AS n FROM performance_logs WHERE operation = 'handoff' AND session_id IS NULL");
				expect(detached[0].n).toBeGreaterThanOrEqual(1);
			});
		});

		it('all six event types are produced, each saying its reason and policy; the sweep works and the wake-up reaches a listener', async () => {
			await withDatabase(async (client, url) => {
				await realState(client, from);
				const listener = new pg.Client({connectionString: url, application_name: 'handoff-top/test-listener'});
				await listener.connect();
				try {
					const woken: string[] = [];
					listener.on('notification', message => woken.push(message.payload ?? ''));
					await listener.query('LISTEN handoff_lifecycle');
					await client.query(`INSERT INTO retention_policies (name, session_ttl, dormant_after, archive_after, purge_after)
					                    VALUES ('quick', interval '1 second', interval '1 second', interval '1 second', NULL)
					                    ON CONFLICT (name) DO NOTHING`);
					const runtime = new ServerRuntime(client);
					await runtime.registerSession({sessionKey: 'six', agentFrom: 'claude'});
					const id = (await session(client, 'six')).id as string;
					await client.query(`UPDATE sessions SET status = 'paused' WHERE id = $1`, [id]);
					await client.query(`UPDATE sessions SET status = 'active', retention_policy = 'quick', expires_at = NULL WHERE id = $1`, [id]);
					await backdate(client, id, 1);
					await client.query(`UPDATE sessions SET created_at = now() - interval '1 hour' WHERE id = $1`, [id]);
					// dormant first (reactivated by a touch), then the sweep expires and archives it
					await client.query('UPDATE sessions SET is_dormant = true WHERE id = $1', [id]);
					await client.query('UPDATE sessions SET is_dormant = false WHERE id = $1', [id]);
					await backdate(client, id, 1);
					await client.query('SELECT count(*) FROM lifecycle_sweep()');
					await client.query('SELECT count(*) FROM lifecycle_sweep()');
					const events = await eventsOf(client, id);
					const types = new Set(events.map(e => e.event_type));
					for (const type of ['created', 'status_changed', 'dormant', 'reactivated', 'expired', 'archived']) expect(types, type).toContain(type);
					for (const event of events.filter(e => e.event_type !== 'expiration_scheduled')) {
						expect(event.event_data, event.event_type).toHaveProperty('reason');
						expect(event.event_data, event.event_type).toHaveProperty('retention_policy');
					}

					expect(events.find(e => e.event_type === 'expired')!.event_data['reason']).toBe('sweep');
					const until = Date.now() + 5000;
					while (woken.length === 0 && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 50));
					expect(woken.length).toBeGreaterThan(0);
					expect(Object.keys(JSON.parse(woken[0]!))).toEqual(['xid', 'event_id', 'session_id', 'event_type', 'events']);
				} finally {
					await listener.end();
				}
			});
		});
	});
}


/** The four base tables as the catalog has them: columns (type, nullable, default), constraints, indexes. */
async function baseTables(client: Client): Promise<Record<string, string[]>> {
	const tables = ['sessions', 'context_history', 'codebase_snapshots', 'handoff_requests'];
	const {rows: columns} = await client.query<{t: string; d: string}>(
		`SELECT c.relname AS t, a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
		        || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS d
		   FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		   LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
		  WHERE c.oid = ANY($1::regclass[]) ORDER BY 1, a.attnum`,
		[tables],
	);
	const {rows: constraints} = await client.query<{t: string; d: string}>(
		`SELECT conrelid::regclass::text AS t, contype::text || ' ' || pg_get_constraintdef(oid) AS d
		   FROM pg_constraint WHERE conrelid = ANY($1::regclass[]) ORDER BY 1, 2`,
		[tables],
	);
	const {rows: indexes} = await client.query<{t: string; d: string}>(
		`SELECT tablename AS t, indexdef AS d FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1, 2`,
		[tables],
	);
	const result: Record<string, string[]> = {};
	for (const row of [...columns, ...constraints, ...indexes]) (result[row.t] ??= []).push(row.d);
	return result;
}

it('gives a new installation the base tables exactly as the handoff server creates them', async () => {
	const fresh = await withDatabase(async client => {
		await applyMigrations(client);
		return baseTables(client);
	});
	const fromServerBase = await withDatabase(async client => {
		await buildState(client, 'base-only', {rows: false}); // the server's own base tables (its scripts/init-db.sql)
		await applyMigrations(client);
		return baseTables(client);
	});
	expect(fresh).toEqual(fromServerBase);
	expect(fresh['codebase_snapshots']).toContain('session_id uuid NOT NULL');
	expect(fresh['handoff_requests']).toContain('session_id uuid NOT NULL');
	expect(fresh['context_history']!.filter(d => d.startsWith('c CHECK'))).toEqual([]);
});

it('knows the twelve states', () => {
	expect(realServerStates).toHaveLength(12);
	expect(loadMigrations().map(m => m.file)).toContain('010_real_server.sql');
});

describe('a database migrated by the handoff-top before 010 (first revisions of 001, 004, 006)', {timeout: 60_000}, () => {
	// 001, 004 and 006 as they were before their revisions (test/fixtures/first-revisions, kept from the
	// project's own history); the others are unchanged since.
	const earlier = (): Migration[] => {
		const revised = path.join(packageRoot(), 'test', 'fixtures', 'first-revisions');
		return loadMigrations()
			.filter(m => m.version <= 9)
			.map(m => {
				const file = path.join(revised, m.file);
				if (!existsSync(file)) return m;
				const sql = readFileSync(file, 'utf8');
				return {...m, sql, checksum: checksum(sql), supersedes: []};
			});
	};

	it('has the revised files declare the checksums of these first revisions', () => {
		const current = new Map(loadMigrations().map(m => [m.file, m]));
		for (const m of earlier()) {
			const now = current.get(m.file)!;
			if (m.checksum !== now.checksum) expect(now.supersedes, m.file).toContain(m.checksum);
		}
	});

	it('takes 010 and the later migrations only, validates clean (the earlier revisions listed as info), and then lets the server start', async () => {
		await withDatabase(async client => {
			const old = earlier();
			expect(old.map(m => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
			await applyMigrations(client, {migrations: old});
			// The server could not start on that schema (the views): the bug this fixes.
			expect(await tryStartupDdl(client)).toMatchObject({ok: false, code: '42P16'});
			const applied = await applyMigrations(client);
			expect(applied.map(m => m.file)).toEqual(loadMigrations().filter(m => m.version >= 10).map(m => m.file));
			expect(applied[0]?.file).toBe('010_real_server.sql');
			const result = await validateDatabase(client);
			expect(result.differences.filter(d => d.severity !== 'info')).toEqual([]);
			expect(result.differences.filter(d => d.objectType === 'migration').map(d => d.name).sort()).toEqual([
				'001_enhanced_monitoring_schema.sql',
				'004_analytics.sql',
				'006_lighter_triggers.sql',
			]);
			expect(await tryStartupDdl(client)).toEqual({ok: true});
			await expectValidates(client, 'after the server started on it');
			const runtime = await runServerTraffic(client);
			expect(runtime.failures().map(f => f.name).filter(name => !/\(server bug\)/.test(name))).toEqual([]);
		});
	});
});

describe.concurrent('the handoff-top binary on the real states', {timeout: 120_000}, () => {
	let bin: {bin: string; remove(): void} | undefined;
	const binary = async () => (bin ??= await buildBinary());
	afterAll(() => bin?.remove());

	for (const state of ['compose-init-then-server', 'setup-enhanced-db', 'base-only', 'migration-only'] as const) {
		it(`${state}: migrate --dry-run predicts ok, migrate applies it, validate exits 0, and again after the server starts`, async () => {
			const database = await server.empty();
			await server.withClient(database, async client => buildState(client, state, {rows: true}));
			const {bin: path} = await binary();
			const dsn = server.url(database);
			const dry = await runBinary(path, ['migrate', '--dsn', dsn, '--dry-run']);
			expect(dry.code, dry.stdout + dry.stderr).toBe(0);
			expect(dry.stdout).not.toMatch(/would fail/);
			const real = await runBinary(path, ['migrate', '--dsn', dsn, '--no-backup']);
			expect(real.code, real.stdout + real.stderr).toBe(0);
			const again = await runBinary(path, ['migrate', '--dsn', dsn, '--no-backup']);
			expect(again.code).toBe(0);
			expect(again.stdout).toMatch(/nothing to do/);
			const validated = await runBinary(path, ['validate', '--dsn', dsn]);
			expect(validated.code, validated.stdout).toBe(0);
			await server.withClient(database, async client => runStartupDdl(client));
			const after = await runBinary(path, ['validate', '--json', '--dsn', dsn]);
			expect(after.code, after.stdout).toBe(0);
			const report = JSON.parse(after.stdout) as {differences: Array<{severity: string; hint?: string}>};
			expect(report.differences.some(d => d.severity === 'info' && /^handoff server: /.test(d.hint ?? ''))).toBe(true);
		});
	}
});

describe("one answer to 'is the schema there and current?'", {timeout: 120_000}, () => {
	let bin: {bin: string; remove(): void} | undefined;
	afterAll(() => bin?.remove());

	it("a handoff server's database before migrate: sweep, snapshot, tail and simulate say the same line, exit 6", async () => {
		bin ??= await buildBinary();
		const database = await server.empty();
		await server.withClient(database, async client => buildState(client, 'compose-init-then-server', {rows: true}));
		const dsn = server.url(database);
		const line = "a handoff server's database without handoff-top's schema yet: run `handoff-top migrate` (rows stay as they are)";
		for (const args of [['sweep'], ['snapshot'], ['tail'], ['simulate', '--duration', '1']]) {
			const run = await runBinary(bin.bin, [...args, '--dsn', dsn]);
			expect(run.code, `${args[0]}: ${run.stderr}`).toBe(6);
			expect(run.stderr, args[0]).toContain(line);
		}
	});
});
