// Every way a user can point a schema command at the wrong place gets one
// line on stderr and its documented exit code; never a stack trace.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {freePort} from '../../source/embedded/embeddedServer.js';
import {buildBinary, runBinary, start, until, exited} from '../commands/binary.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();
let bin: {bin: string; remove(): void};
const scratch = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-connection-test-'));
beforeAll(async () => {
	bin = await buildBinary();
});
afterAll(() => {
	bin?.remove();
	rmSync(scratch, {recursive: true, force: true});
});

function expectOneLine(stderr: string, pattern: RegExp) {
	expect(stderr).toMatch(pattern);
	expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
	expect(stderr).not.toMatch(/\n\s+at /);
}

/** Does the server check passwords (embedded: yes; a CI server may trust loopback)? */
async function checksPasswords(role: string, database: string): Promise<boolean> {
	const client = new pg.Client({connectionString: server.url(database, {user: role, password: 'definitely-wrong'})});
	client.on('error', () => {});
	try {
		await client.connect();
		await client.end();
		return false;
	} catch {
		return true;
	}
}

describe.concurrent('bad connection input', () => {
	it.each(['validate', 'migrate', 'sweep', 'setup'])('%s: a malformed --dsn is a usage error (exit 2)', async command => {
		const run = await runBinary(bin.bin, [command, '--dsn', 'not a url']);
		expectOneLine(run.stderr, /^handoff-top: malformed --dsn: expected postgres:\/\/user:password@host:port\/database, got 'not a url'\n$/);
		expect(run.code).toBe(2);
	});

	it('a DATABASE_URL with another scheme is a usage error (exit 2)', async () => {
		const run = await runBinary(bin.bin, ['validate'], {DATABASE_URL: 'mysql://root@localhost/db'});
		expectOneLine(run.stderr, /^handoff-top: malformed DATABASE_URL: scheme must be postgres:\/\/ or postgresql:\/\/, got 'mysql:\/\/'\n$/);
		expect(run.code).toBe(2);
	});

	it('an unknown host: exit 3, names the host', async () => {
		const run = await runBinary(bin.bin, ['validate', '--dsn', 'postgres://u:p@no-such-host.invalid:5432/db']);
		expectOneLine(run.stderr, /^handoff-top: cannot connect to no-such-host\.invalid:5432\/db: unknown host 'no-such-host\.invalid'\n$/);
		expect(run.code).toBe(3);
	});

	it('a refused port: exit 3', async () => {
		const port = await freePort();
		const run = await runBinary(bin.bin, ['migrate', '--dsn', `postgres://u:p@127.0.0.1:${port}/db`]);
		expectOneLine(run.stderr, new RegExp(`^handoff-top: cannot connect to 127\\.0\\.0\\.1:${port}/db: connection refused \\(is PostgreSQL running and listening there\\?\\)\\n$`));
		expect(run.code).toBe(3);
	});

	it('a wrong password: exit 3, and the password is not printed', async ({skip}) => {
		const database = await server.migrated();
		const role = await server.role('right-password');
		await server.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
		if (!(await checksPasswords(role, database))) skip('this server trusts loopback connections without a password');
		const run = await runBinary(bin.bin, ['validate', '--dsn', server.url(database, {user: role, password: 'wrong-password'})]);
		expectOneLine(run.stderr, new RegExp(`^handoff-top: cannot connect to [^ ]+/${database}: password authentication failed \\(for user "${role}"\\)\\n$`));
		expect(run.stderr).not.toContain('wrong-password');
		expect(run.code).toBe(3);
	});

	it('a missing database: exit 3, names setup', async () => {
		const run = await runBinary(bin.bin, ['sweep', '--dsn', server.url('ht_no_such_database')]);
		expectOneLine(run.stderr, /^handoff-top: cannot connect to [^ ]+\/ht_no_such_database: database "ht_no_such_database" does not exist \(handoff-top setup creates it\)\n$/);
		expect(run.code).toBe(3);
	});

	it('a role without CONNECT on the database: exit 7, names the privilege', async () => {
		const database = await server.migrated();
		const role = await server.role('pw');
		await server.query(`REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`);
		const run = await runBinary(bin.bin, ['validate', '--dsn', server.url(database, {user: role, password: 'pw'})]);
		expectOneLine(run.stderr, new RegExp(`^handoff-top: cannot connect to .*: permission denied: permission denied for database "?${database}"?\\n$`));
		expect(run.code).toBe(7);
	});

	it('a role that may not create tables runs migrate: exit 7, names the privilege', async () => {
		const database = await server.base();
		const role = await server.role('pw');
		await server.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
		await server.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`, [], database);
		const run = await runBinary(bin.bin, ['migrate', '--no-backup', '--dsn', server.url(database, {user: role, password: 'pw'})]);
		expectOneLine(run.stderr, /^handoff-top: permission denied while migrating: permission denied for schema public\n$/);
		expect(run.code).toBe(7);
	});

	it('a role without CREATEDB runs setup for a missing database: exit 7, names the privilege', async () => {
		const role = await server.role('pw');
		const run = await runBinary(bin.bin, ['setup', '--dsn', server.url('ht_not_created_here', {user: role, password: 'pw'})]);
		expectOneLine(run.stderr, /^handoff-top: cannot create database ht_not_created_here: permission denied \(the role needs CREATEDB, or ask a DBA to create it\)\n$/);
		expect(run.code).toBe(7);
		const [{exists}] = await server.query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ht_not_created_here') AS exists");
		expect(exists).toBe(false);
	});

	it('a role without SELECT on the migration history runs sweep: exit 7, names the table', async () => {
		const database = await server.migrated();
		const role = await server.role('pw');
		await server.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
		const run = await runBinary(bin.bin, ['sweep', '--dsn', server.url(database, {user: role, password: 'pw'})]);
		expectOneLine(run.stderr, /^handoff-top: permission denied: this role may not read the migration history \(needs SELECT on handoff_top_migrations\)\n$/);
		expect(run.code).toBe(7);
	});
});

describe('where the connection comes from', () => {
	it('without --dsn or DATABASE_URL: libpq environment and a password file', async () => {
		const database = await server.migrated();
		const admin = new URL(server.adminUrl);
		const passfile = path.join(scratch, 'pgpass');
		writeFileSync(passfile, `${admin.hostname}:${admin.port || 5432}:*:${decodeURIComponent(admin.username)}:${decodeURIComponent(admin.password)}\n`, {mode: 0o600});
		const env = {
			PGHOST: admin.hostname,
			PGPORT: admin.port || '5432',
			PGUSER: decodeURIComponent(admin.username),
			PGDATABASE: database,
			PGPASSFILE: passfile,
		};
		const run = await runBinary(bin.bin, ['validate'], env);
		expect(run.stderr).toBe('');
		expect(run.stdout).toContain(`validate ${database} `);
		expect(run.code).toBe(0);
		// DATABASE_URL wins over the environment, --dsn over DATABASE_URL.
		const viaUrl = await runBinary(bin.bin, ['validate'], {...env, DATABASE_URL: server.url('ht_no_such_database')});
		expect(viaUrl.stderr).toContain('ht_no_such_database');
		const viaDsn = await runBinary(bin.bin, ['validate', '--dsn', server.url(database)], {...env, DATABASE_URL: server.url('ht_no_such_database')});
		expect(viaDsn.code).toBe(0);
	});

	it('names itself in application_name, so a DBA can find it', async () => {
		const database = await server.base();
		const holder = new pg.Client({connectionString: server.url(database)});
		await holder.connect();
		try {
			await holder.query("SELECT pg_advisory_lock(hashtext('handoff-top:migrate'))");
			const waiting = start(bin.bin, ['migrate', '--no-backup', '--dsn', server.url(database)]);
			await until(() => waiting.output.stderr.includes('waiting for another'), 15_000, 'waiting message');
			const rows = await server.query('SELECT application_name FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
			expect(rows.map(row => row.application_name)).toContainEqual(expect.stringMatching(/^handoff-top-migrate\/\d+\.\d+\.\d+$/));
			await holder.query("SELECT pg_advisory_unlock(hashtext('handoff-top:migrate'))");
			expect(await exited(waiting)).toBe(0);
		} finally {
			await holder.end();
		}
	});
});
