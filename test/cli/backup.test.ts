// migrate's backup on a shared server: the password never on pg_dump's command
// line (readable by any local user in ps), the backup folder 0700 and the
// files 0600 whatever the umask (a full dump holds every row).
import {chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {spawnSync} from 'node:child_process';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildBinary, runBinary} from '../commands/binary.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();
let bin: {bin: string; remove(): void};
const scratch = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-backup-test-'));
const password = `s3cret-${Math.random().toString(36).slice(2)}`;
let role: string;
let umaskBefore: number;

// A pg_dump stand-in: records its arguments, its own command line and the
// password it was given, and writes the dump file as pg_dump would (a shell
// redirection, like pg_dump's fopen, keeps the mode of a file that exists and
// creates a new one under the umask).
const standIn = path.join(scratch, 'pg_dump');
writeFileSync(
	standIn,
	`#!/bin/sh
if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.1"; exit 0; fi
log="$HT_STANDIN_LOG"
for a in "$@"; do printf '%s\\n' "$a" >> "$log.args"; done
tr '\\0' '\\n' < /proc/$$/cmdline >> "$log.cmdline"
printf '%s' "\${PGPASSWORD-}" > "$log.password"
for a in "$@"; do case "$a" in --file=*) file="\${a#--file=}";; esac; done
printf 'a dump\\n' > "$file"
`,
);
chmodSync(standIn, 0o755);

beforeAll(async () => {
	bin = await buildBinary();
	// A role whose password is in the DSN (with trust auth the server ignores it; it must still stay out of argv).
	role = `ht_backup_${Math.random().toString(36).slice(2, 8)}`;
	await server.query(`CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
	server.track('role', role);
	umaskBefore = process.umask(0o022);
});
afterAll(() => {
	if (umaskBefore !== undefined) process.umask(umaskBefore);
	bin?.remove();
	rmSync(scratch, {recursive: true, force: true});
});

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('migrate backup', () => {
	for (const mode of ['schema', 'full'] as const) {
		it(`--backup ${mode}: no password in pg_dump's argv, folder 0700 and file 0600 under umask 022`, async () => {
			const database = await server.base();
			const log = path.join(scratch, `log-${mode}`);
			const backupDir = path.join(scratch, `new-${mode}`, 'nested', 'backups');
			const run = await runBinary(bin.bin, ['migrate', '--dsn', server.url(database, {user: role, password}), '--backup', mode, '--backup-dir', backupDir], {
				HANDOFF_TOP_PG_DUMP: standIn,
				HT_STANDIN_LOG: log,
			});
			expect(run.code, run.stderr).toBe(0);
			const args = readFileSync(`${log}.args`, 'utf8');
			const cmdline = readFileSync(`${log}.cmdline`, 'utf8');
			expect(args).toContain(`--dbname=`);
			expect(args).toContain(role);
			expect(args).not.toContain(password);
			expect(cmdline).not.toContain(password);
			expect(readFileSync(`${log}.password`, 'utf8'), 'the password reaches pg_dump through its environment').toBe(password);
			const [file] = readdirSync(backupDir);
			expect(file).toMatch(mode === 'full' ? /-full\.dump$/ : /-schema\.sql$/);
			expect(modeOf(path.join(backupDir, file!))).toBe(0o600);
			expect(modeOf(backupDir)).toBe(0o700);
			expect(modeOf(path.dirname(backupDir)), 'every folder it created').toBe(0o700);
			expect(readFileSync(path.join(backupDir, file!), 'utf8')).toBe('a dump\n');
		});
	}

	it('a folder the user made keeps its mode; the file in it is still 0600', async () => {
		const database = await server.base();
		const backupDir = mkdtempSync(path.join(scratch, 'existing-'));
		chmodSync(backupDir, 0o750);
		const run = await runBinary(bin.bin, ['migrate', '--dsn', server.url(database), '--backup-dir', backupDir], {
			HANDOFF_TOP_PG_DUMP: standIn,
			HT_STANDIN_LOG: path.join(scratch, 'log-existing'),
		});
		expect(run.code, run.stderr).toBe(0);
		expect(modeOf(backupDir)).toBe(0o750);
		const [file] = readdirSync(backupDir);
		expect(modeOf(path.join(backupDir, file!))).toBe(0o600);
	});

	it('the real pg_dump, where it can dump this server: a full backup is 0600 and restorable', async ({skip}) => {
		const dump = /(\d+)/.exec(spawnSync('pg_dump', ['--version'], {encoding: 'utf8'}).stdout ?? '');
		const [{num}] = await server.query("SELECT current_setting('server_version_num')::int AS num");
		if (!dump || Number(dump[1]) < Math.floor(num / 10_000)) skip('pg_dump is older than the server');
		const database = await server.base();
		await server.query("INSERT INTO sessions (session_key, agent_from) VALUES ('api-key-holder', 'agent')", [], database);
		const backupDir = path.join(scratch, 'real');
		const run = await runBinary(bin.bin, ['migrate', '--dsn', server.url(database, {user: role, password}), '--backup', 'full', '--backup-dir', backupDir]);
		expect(run.code, run.stderr).toBe(0);
		const [file] = readdirSync(backupDir);
		expect(modeOf(backupDir)).toBe(0o700);
		expect(modeOf(path.join(backupDir, file!))).toBe(0o600);
		const listing = spawnSync('pg_restore', ['--list', path.join(backupDir, file!)], {encoding: 'utf8'});
		expect(listing.status, listing.stderr).toBe(0);
		expect(listing.stdout).toContain('TABLE DATA public sessions');
	});
});
