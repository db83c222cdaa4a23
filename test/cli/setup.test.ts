// handoff-top setup on a server: creates the database, applies every
// migration, makes the monitor role; the second run changes nothing.
import {randomBytes} from 'node:crypto';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {loadMigrations} from '../../source/db/migrations.js';
import {metricsLatest, sessionsPage} from '../../source/queries/index.js';
import {buildBinary, runBinary} from '../commands/binary.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();
let bin: {bin: string; remove(): void};
beforeAll(async () => {
	bin = await buildBinary();
});
afterAll(() => bin?.remove());

describe('handoff-top setup', () => {
	const database = `ht_setup_${randomBytes(4).toString('hex')}`;
	const role = `ht_monitor_${randomBytes(4).toString('hex')}`;
	let first: Awaited<ReturnType<typeof runBinary>>;
	beforeAll(async () => {
		server.track('database', database);
		server.track('role', role);
		first = await runBinary(bin.bin, ['setup', '--dsn', server.url(database), '--create-monitor-role', role, '--monitor-password', 'secret pw']);
	});

	it('creates the missing database and applies every migration', async () => {
		expect(first.stderr).toBe('');
		expect(first.code).toBe(0);
		expect(first.stdout).toContain(`created database ${database}`);
		for (const migration of loadMigrations()) expect(first.stdout).toContain(`applied ${migration.file}`);
		const history = await server.query('SELECT version, baselined FROM handoff_top_migrations ORDER BY version', [], database);
		expect(history).toEqual(loadMigrations().map(m => ({version: m.version, baselined: false})));
	});

	it('changes nothing when run again, and says so', async () => {
		const before = await server.query('SELECT version, applied_at FROM handoff_top_migrations ORDER BY version', [], database);
		const again = await runBinary(bin.bin, ['setup', '--dsn', server.url(database), '--create-monitor-role', role, '--monitor-password', 'secret pw']);
		expect(again.stderr).toBe('');
		expect(again.code).toBe(0);
		expect(again.stdout).toMatch(/^nothing to do: .* exists and its schema is up to date \(\d+ migrations\), monitor role \S+ already set up\n$/);
		expect(await server.query('SELECT version, applied_at FROM handoff_top_migrations ORDER BY version', [], database)).toEqual(before);
	});

	it('makes a least-privilege monitor role: read-only, timeouts as role settings, SELECT on what the monitor reads only', async () => {
		const [settings] = await server.query(
			`SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole, s.setconfig FROM pg_roles r
			   LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid AND s.setdatabase = 0 WHERE r.rolname = $1`,
			[role],
		);
		expect(settings).toMatchObject({rolsuper: false, rolcreatedb: false, rolcreaterole: false});
		expect(settings.setconfig).toEqual(
			expect.arrayContaining(['default_transaction_read_only=on', 'statement_timeout=5s', 'lock_timeout=1s', 'idle_in_transaction_session_timeout=60s']),
		);
		await server.withClient(database, async client => {
			expect((await client.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only).toBe('on');
			await client.query('SELECT count(*) FROM session_monitoring_view');
			await client.query('SELECT count(*) FROM session_lifecycle');
			await client.query('SELECT session_id, status FROM handoff_requests LIMIT 1');
			// every sort of the sessions screen and the metrics screen, as the monitor runs them
			for (const sort of ['last_activity', 'created', 'context', 'handoffs'] as const) {
				await sessionsPage(client, {sort, limit: 20, offset: 0});
			}
			await metricsLatest(client);
			await expect(client.query('SELECT content FROM context_history LIMIT 1')).rejects.toMatchObject({code: '42501'});
			await expect(client.query('SELECT content FROM codebase_snapshots LIMIT 1')).rejects.toMatchObject({code: '42501'});
			await expect(client.query('SELECT request_data FROM handoff_requests LIMIT 1')).rejects.toMatchObject({code: '42501'});
			// Even with read-only switched off, it has no write privilege.
			await client.query('SET default_transaction_read_only = off');
			await expect(client.query("INSERT INTO sessions (session_key, agent_from) VALUES ('x', 'y')")).rejects.toMatchObject({code: '42501'});
		}, {user: role, password: 'secret pw'});
	});

	it('lets validate run as the monitor role', async () => {
		const run = await runBinary(bin.bin, ['validate', '--dsn', server.url(database, {user: role, password: 'secret pw'})]);
		expect(run.stderr).toBe('');
		expect(run.stdout).toMatch(/ok: the schema matches/);
		expect(run.code).toBe(0);
	});

	it('restores what a drifted monitor role lacks, and says what', async () => {
		await server.query(`REVOKE SELECT ON session_lifecycle FROM ${role}`, [], database);
		await server.query(`ALTER ROLE ${role} RESET lock_timeout`);
		const run = await runBinary(bin.bin, ['setup', '--dsn', server.url(database), '--create-monitor-role', role]);
		expect(run.code).toBe(0);
		expect(run.stdout).toContain(`monitor role ${role}: set lock_timeout=1s; granted SELECT on session_lifecycle`);
		const [{ok}] = await server.query(`SELECT has_table_privilege($1, 'session_lifecycle', 'SELECT') AS ok`, [role], database);
		expect(ok).toBe(true);
	});

	it('a monitor role made before migration 013 (no SELECT on log_retention) gets it when setup runs again', async () => {
		await server.query(`REVOKE SELECT ON log_retention FROM ${role}`, [], database);
		const dsn = server.url(database, {user: role, password: 'secret pw'});
		const before = await runBinary(bin.bin, ['sweep', '--dry-run', '--dsn', dsn]);
		expect(before.code).toBe(7);
		expect(before.stderr).toBe('handoff-top: permission denied while planning the sweep: permission denied for table log_retention\n');
		const panel = await runBinary(bin.bin, ['snapshot', '--dsn', dsn]);
		expect(panel.code).toBe(0);
		expect(panel.stdout.replaceAll(/\n\s+/g, ' ')).toContain('next sweep: cannot read log_retention (run handoff-top setup --create-monitor-role again to grant it)');
		const run = await runBinary(bin.bin, ['setup', '--dsn', server.url(database), '--create-monitor-role', role]);
		expect(run.code).toBe(0);
		expect(run.stdout).toContain(`monitor role ${role}: granted SELECT on log_retention\n`);
		const after = await runBinary(bin.bin, ['sweep', '--dry-run', '--dsn', dsn]);
		expect(after.stderr).toBe('');
		expect(after.code).toBe(0);
		expect(after.stdout).toMatch(/log retention: rows that would be removed/);
	});

	it('changes the monitor password only when it differs', async () => {
		const run = await runBinary(bin.bin, ['setup', '--dsn', server.url(database), '--create-monitor-role', role, '--monitor-password', 'new pw']);
		expect(run.code).toBe(0);
		expect(run.stdout).toContain(`monitor role ${role}: set its password`);
		await server.withClient(database, async client => client.query('SELECT 1'), {user: role, password: 'new pw'});
		await server.query(`ALTER ROLE ${role} PASSWORD 'secret pw'`);
	});

	it('refuses a bad role name as a usage error', async () => {
		const run = await runBinary(bin.bin, ['setup', '--dsn', server.url(database), '--create-monitor-role', 'bad name;']);
		expect(run.stderr).toMatch(/^handoff-top: --create-monitor-role: 'bad name;' is not a usable role name/);
		expect(run.code).toBe(2);
	});
});
