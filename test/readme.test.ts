// Every shell command the README shows is exercised by a test. Each command
// line of a ```sh block must match exactly one entry below: either this file
// runs it (its non-interactive form), or the entry names the test or script
// that runs it and a string that test must contain. A command the README
// gains without an entry here fails this test; so does an entry the README no
// longer needs.
import {execFile, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, inject, it, type TestContext} from 'vitest';
import {packageRoot} from '../source/paths.js';
import {buildCli, type BuiltCli} from './demo/builtCli.js';
import {createDatabase, databaseUrl, dropDatabase, useTestDatabase} from './helpers/database.js';

const root = packageRoot();
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

/** The command lines of the README's shell blocks: comments dropped, continuations joined. */
function shellCommands(markdown: string): string[] {
	const commands: string[] = [];
	for (const block of markdown.matchAll(/^```(?:sh|bash|shell|console)[^\n]*\n([\s\S]*?)^```/gm)) {
		const joined = block[1]!.replaceAll(/\\\n\s*/g, ' ');
		for (let line of joined.split('\n')) {
			line = line.replace(/^\s*\$\s+/, '').replace(/\s+#\s.*$/, '').trim();
			if (line === '' || line.startsWith('#')) continue;
			commands.push(line);
		}
	}

	return commands;
}

type Covered = {file: string; contains: string};
/** `run` gets every README line the entry matches, in README order. */
type Entry = {command: RegExp | RegExp[]; why: string} & ({covered: Covered[]} | {run: (lines: string[], context: TestContext) => Promise<void>});

const matches = (entry: Entry, line: string) => [entry.command].flat().some(pattern => pattern.test(line));

const db = useTestDatabase();
let cli: BuiltCli;
let scratch: string;
beforeAll(async () => {
	cli = await buildCli();
	scratch = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-readme-'));
}, 60_000);
afterAll(() => {
	cli?.remove();
	if (scratch) rmSync(scratch, {recursive: true, force: true});
});

const exec = promisify(execFile);

/** A README line run by the shell, with `handoff-top` meaning this build and libpq's environment set for the test server. */
function sh(line: string, env: Record<string, string> = {}) {
	const admin = new URL(inject('adminUrl'));
	const command = line.replaceAll(/(^|\|\s*)handoff-top /g, `$1${process.execPath} ${cli.bin} `);
	// bash for pipefail: a pipeline fails when its first command does, not only its last.
	return spawnSync('bash', ['-o', 'pipefail', '-c', command], {
		encoding: 'utf8',
		cwd: scratch,
		env: {
			...process.env,
			PGHOST: admin.hostname,
			PGPORT: admin.port || '5432',
			PGUSER: decodeURIComponent(admin.username),
			PGPASSWORD: decodeURIComponent(admin.password),
			...env,
		},
	});
}

function major(versionText: string): number | undefined {
	const match = /(\d+)(?:\.\d+)?/.exec(versionText);
	return match ? Number(match[1]) : undefined;
}

/** The restore commands, on real backups that `handoff-top migrate` took of a populated base database. */
async function restoreBackups(lines: string[], context: TestContext): Promise<void> {
	const dumpMajor = major(spawnSync('pg_dump', ['--version'], {encoding: 'utf8'}).stdout ?? '');
	const [{server}] = await db().query("SELECT current_setting('server_version_num')::int / 10000 AS server");
	if (dumpMajor === undefined || dumpMajor < server) {
		context.skip(`pg_dump ${dumpMajor ?? 'missing'} cannot dump PostgreSQL ${server} (CI runs this on PostgreSQL 15)`);
	}

	const adminUrl = inject('adminUrl');
	const backups: Record<'schema' | 'full', string> = {schema: '', full: ''};
	for (const mode of ['schema', 'full'] as const) {
		const source = await createDatabase(adminUrl, 'ht_readme_src');
		try {
			const client = new pg.Client({connectionString: databaseUrl(adminUrl, source)});
			await client.connect();
			await client.query(readFileSync(path.join(root, 'sql', 'reference', 'base_schema.sql'), 'utf8'));
			await client.query("INSERT INTO sessions (session_key, agent_from) VALUES ('readme-restore', 'claude-code')");
			await client.end();
			const dir = path.join(scratch, `backups-${mode}`);
			const args = ['migrate', '--dsn', databaseUrl(adminUrl, source), '--backup-dir', dir, ...(mode === 'full' ? ['--backup', 'full'] : [])];
			await exec(process.execPath, [cli.bin, ...args]);
			backups[mode] = path.join(dir, readdirSync(dir)[0]!);
		} finally {
			await dropDatabase(adminUrl, source);
		}
	}

	// The README's two flows, each: createdb, then psql (schema-only) or pg_restore (full).
	const flows = [lines.slice(0, 2), lines.slice(2, 4)];
	expect(flows.map(flow => flow.map(line => line.split(' ')[0]))).toEqual([
		['createdb', 'psql'],
		['createdb', 'pg_restore'],
	]);
	for (const flow of flows) {
		const target = `ht_readme_restored_${process.pid}_${Date.now()}`;
		try {
			for (const line of flow) {
				const command = line
					.replaceAll('handoff_restored', target)
					.replace(/backups\/\S+-schema\.sql/, backups.schema)
					.replace(/backups\/\S+-full\.dump/, backups.full);
				const result = sh(command);
				expect(result.status, `${command}\n${result.stderr}`).toBe(0);
			}

			const client = new pg.Client({connectionString: databaseUrl(adminUrl, target)});
			await client.connect();
			const {rows} = await client.query('SELECT session_key FROM sessions');
			await client.end();
			// Schema only: the tables, empty. Full: the row too.
			expect(rows.map(row => row.session_key)).toEqual(flow[1]!.startsWith('pg_restore') ? ['readme-restore'] : []);
		} finally {
			await dropDatabase(adminUrl, target);
		}
	}
}

const coverage: Entry[] = [
	{
		command: /^npm install && npx handoff-top demo$/,
		why: 'the demo in a real terminal (tmux), and its start/stop/signal tests; CI runs the install',
		covered: [
			{file: 'test/demo/demoTmux.test.ts', contains: 'demo --rate'},
			{file: 'test/demo/demo.test.ts', contains: "'demo'"},
			{file: '.ci/run', contains: 'npm ci'},
		],
	},
	{
		command: /^npm install && npm test$/,
		why: 'CI runs exactly this (npm ci is the lockfile-exact npm install); it cannot run inside the test run',
		covered: [
			{file: '.ci/run', contains: 'npm ci'},
			{file: '.ci/run', contains: '\nnpm test\n'},
		],
	},
	{
		command: [/^npm run bench$/, /^npm run bench -- --full$/],
		why: 'CI runs every benchmark at the smallest size (--smoke: same code path, numbers not judged); the quick and full profiles take minutes to an hour',
		covered: [{file: '.ci/run', contains: 'npm run bench -- --smoke'}],
	},
	{
		command: /^HANDOFF_TEST_DATABASE_URL=postgres:\/\/\S+ npm test$/,
		why: 'CI runs the suites again against PostgreSQL 15 this way',
		covered: [{file: '.ci/run', contains: 'HANDOFF_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" npm test'}],
	},
	{
		command: /^handoff-top demo \[/,
		why: 'the synopsis: every flag is run by the demo tests',
		covered: [
			{file: 'test/demo/demo.test.ts', contains: "'--keep', '--duration'"},
			{file: 'test/demo/demo.test.ts', contains: "'--rate'"},
		],
	},
	{
		command: /^handoff-top simulate --dsn "\$DATABASE_URL" --rate \d+ --duration \d+$/,
		why: 'run here as shown, against a test database, with a one-second duration',
		async run(lines) {
			for (const line of lines) {
				const result = sh(line.replace(/--duration \d+/, '--duration 1'), {DATABASE_URL: db().url});
				expect(result.status, result.stderr).toBe(0);
				expect(result.stderr).toMatch(/done: \d+ operations/);
			}

			const [{sessions}] = await db().query('SELECT count(*)::int AS sessions FROM sessions');
			expect(sessions).toBeGreaterThan(0);
		},
	},
	{
		command: /^handoff-top partition \[/,
		why: 'the synopsis: every flag is run by the partition tests',
		covered: [
			{file: 'test/schema/partition.test.ts', contains: "['system_metrics', '--dry-run', '--json', '--ahead', '2']"},
			{file: 'test/schema/partition.test.ts', contains: "partition(database, ['system_metrics'])"},
			{file: 'test/schema/partition.test.ts', contains: "partition(database, ['--dry-run'])"},
		],
	},
	{
		command: /^handoff-top tail \[/,
		why: 'the synopsis: tail is run by its own tests',
		covered: [{file: 'test/commands/tail.test.ts', contains: "['tail', '--since'"}],
	},
	{
		command: /^handoff-top snapshot \[/,
		why: 'the synopsis: snapshot is run by its own tests',
		covered: [
			{file: 'test/commands/snapshot.test.ts', contains: "['snapshot', '--json'"},
			{file: 'test/commands/snapshot.test.ts', contains: "['snapshot', '--storage-limit', limit"},
		],
	},
	{
		command: /^handoff-top exporter \[/,
		why: 'the synopsis: every flag is run by the exporter tests',
		covered: [
			{file: 'test/exporter/exporter.test.ts', contains: "'--label', 'env=test'"},
			{file: 'test/exporter/exporter.test.ts', contains: "'--state', state"},
			{file: 'test/exporter/exporterHelpers.ts', contains: "'--listen', '127.0.0.1:0'"},
			{file: 'test/exporter/exporterStorage.test.ts', contains: "'--storage-limit', '1GB'"},
		],
	},
	{
		command: /^promtool (check|test) rules examples\/prometheus\/handoff-top\.rules(\.test)?\.yml$/,
		why: 'promtool on the alerting rules and their unit tests',
		covered: [
			{file: 'test/exporter/prometheus.test.ts', contains: "['check', 'rules', rules]"},
			{file: 'test/exporter/prometheus.test.ts', contains: "['test', 'rules', path.join(examples, 'handoff-top.rules.test.yml')]"},
		],
	},
	{
		command: /^handoff-top --dsn \S+ \[--interval/,
		why: 'the synopsis: the monitor is run in a real terminal by its end-to-end test',
		covered: [{file: 'test/e2e/monitor.test.ts', contains: '--dsn'}],
	},
	{
		command: /^handoff-top setup --dsn \S+ +\[--create-monitor-role/,
		why: 'the synopsis: setup with and without a monitor role is run by its tests',
		covered: [{file: 'test/cli/setup.test.ts', contains: "'--create-monitor-role', role, '--monitor-password'"}],
	},
	{
		command: /^handoff-top migrate --dsn "\$DATABASE_URL" --dry-run$/,
		why: 'run here as shown, on a database without the schema: it prints the plan and changes nothing',
		async run(lines) {
			for (const line of lines) {
				const fresh = await createDatabase(inject('adminUrl'), 'ht_readme_dry');
				try {
					const result = sh(line, {DATABASE_URL: databaseUrl(inject('adminUrl'), fresh)});
					expect(result.status, result.stderr).toBe(0);
					expect(result.stdout).toContain('001_enhanced_monitoring_schema.sql');
				} finally {
					await dropDatabase(inject('adminUrl'), fresh);
				}
			}
		},
	},
	{
		command: /^handoff-top migrate --dsn "\$DATABASE_URL"$/,
		why: 'migrate with its default schema backup is run by its tests (pg_dump must be able to dump the server)',
		covered: [{file: 'test/cli/migrate.test.ts', contains: "['--backup-dir', backupDir]"}],
	},
	{
		command: /^handoff-top migrate --backup full --backup-dir \S+$/,
		why: 'run by the migrate tests',
		covered: [{file: 'test/cli/migrate.test.ts', contains: "['--backup', 'full', '--backup-dir', backupDir]"}],
	},
	{
		command: /^handoff-top migrate --no-backup$/,
		why: 'run by the migrate tests',
		covered: [{file: 'test/cli/migrate.test.ts', contains: "['--no-backup']"}],
	},
	{
		command: [/^createdb -T template0 handoff_restored$/, /^psql -v ON_ERROR_STOP=1 -d handoff_restored -f backups\/\S+$/, /^pg_restore --no-owner -d handoff_restored backups\/\S+$/],
		why: 'run here on backups migrate took, when this pg_dump can dump the server',
		run: restoreBackups,
	},
	{
		command: /^handoff-top validate --dsn \S+$/,
		why: 'run by the validation tests',
		covered: [{file: 'test/validation/drift.test.ts', contains: "['validate', '--dsn'"}],
	},
	{
		command: /^handoff-top validate --json \| jq /,
		why: 'run here as shown (DATABASE_URL names an up-to-date database): no error-level differences',
		async run(lines, context) {
			if (spawnSync('jq', ['--version']).status !== 0) context.skip('jq is not installed');
			for (const line of lines) {
				const result = sh(line, {DATABASE_URL: db().url});
				expect(result.status, `${result.stderr}${result.stdout}`).toBe(0);
				expect(result.stdout.trim()).toBe('');
			}
		},
	},
	{
		command: /^handoff-top sweep \[/,
		why: 'the synopsis: every flag is run by the sweep tests',
		covered: [
			{file: 'test/cli/sweep.test.ts', contains: "['--dry-run']"},
			{file: 'test/cli/sweep.test.ts', contains: "['--limit', '3', '--json']"},
			{file: 'test/cli/sweep.test.ts', contains: "['--batch', '500', '--json']"},
		],
	},
];

describe('the README', () => {
	const commands = shellCommands(readme);

	it('shows shell commands, and every one is covered by exactly one entry', () => {
		expect(commands.length).toBeGreaterThan(3);
		const uncovered: string[] = [];
		for (const command of commands) {
			const covering = coverage.filter(entry => matches(entry, command));
			if (covering.length === 0) uncovered.push(command);
			expect(covering.length, `more than one entry covers: ${command}`).toBeLessThanOrEqual(1);
		}

		expect(uncovered, 'README commands no test covers: add each to the coverage list in test/readme.test.ts').toEqual([]);
	});

	it('has no coverage entry for a command it no longer shows', () => {
		const stale = coverage.filter(entry => [entry.command].flat().some(pattern => !commands.some(command => pattern.test(command))));
		expect(stale.map(entry => String(entry.command))).toEqual([]);
	});

	it('the two commands are the demo and the tests', () => {
		const twoCommands = /## Two commands\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
		expect(shellCommands(`\`\`\`sh\n${twoCommands}\`\`\``)).toEqual(['npm install && npx handoff-top demo', 'npm install && npm test']);
	});

	for (const entry of coverage) {
		if ('covered' in entry) {
			it(`${entry.command}: covered by ${entry.covered.map(c => c.file).join(', ')} (${entry.why})`, () => {
				for (const {file, contains} of entry.covered) {
					const full = path.join(root, file);
					expect(existsSync(full), `${file} exists`).toBe(true);
					expect(readFileSync(full, 'utf8'), `${file} contains ${contains}`).toContain(contains);
				}
			});
		} else {
			it(`${entry.command}: runs (${entry.why})`, async context => {
				await entry.run(
					commands.filter(command => matches(entry, command)),
					context,
				);
			}, 90_000);
		}
	}
});
