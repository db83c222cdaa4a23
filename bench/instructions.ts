// `npm run bench -- instructions`: the write cost counted in instructions, not
// timed. On a shared machine a pgbench ratio moves by ±10 % from one run to
// the next; the number of instructions a backend executes for one statement
// does not. Each statement runs N times in one rolled-back transaction in a
// single-user backend (`postgres --single`) under valgrind's callgrind, on a
// fresh copy of a stopped private cluster; the same with N = 0 is subtracted
// (start-up, catalog loading), and the difference divided by N.
//
// The two databases are the write benchmark's 'server' (the handoff server's
// own schema as its start-up DDL makes it) and 'handoff-top+server' (the
// migrations, then the server's start-up DDL twice), seeded as bench §1 seeds
// them (bench/workloads/setup_common.sql, 10,000 sessions).
//
// The wake-up of listeners is skipped (handoff_top.notify_skip_until set far
// ahead): it runs once per window (lifecycle_notify_gate.min_interval_ms) per
// connection, and under valgrind, 50 times slower, the window would pass every
// few rows, which real traffic at these rates never does.
//
//   npm run bench -- instructions [--n 400] [--pgbin /usr/lib/postgresql/15/bin] [--out bench/results/instructions.md]
//
// Needs valgrind and a PostgreSQL installation with initdb, pg_ctl and postgres
// (--pgbin, else the newest /usr/lib/postgresql/*/bin). As root, the cluster
// runs as the OS user postgres.
import {chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {installSchema, withClient, type SchemaKind} from './lib/server.js';
import {run} from './lib/util.js';
import {applyMigrations, loadMigrations} from '../source/db/migrations.js';
import {runStartupDdl} from '../test/helpers/realServer/startupDdl.js';

const sessions = 10_000;
const pick = "'bench-' || (1 + (i * 7919) % 10000)"; // a different session each time, the same ones in every run

export const statements: Array<{name: string; what: string; sql: string}> = [
	{name: 'status', what: "(a) a session's status change", sql: `UPDATE sessions SET status = CASE status WHEN 'active' THEN 'paused' ELSE 'active' END WHERE session_key = ${pick};`},
	{name: 'touch', what: "the server's activity UPDATE (update_context's first statement)", sql: `UPDATE sessions SET last_activity_at = NOW(), updated_at = NOW() WHERE session_key = ${pick};`},
	{
		name: 'update_context',
		what: "(c) update_context as the server sends it: the activity UPDATE, then the context row",
		sql: `UPDATE sessions SET last_activity_at = NOW(), updated_at = NOW() WHERE session_key = ${pick};
INSERT INTO context_history (session_id, sequence_number, context_type, content, metadata)
SELECT s.id, nextval('bench_seq'), 'message', repeat('context line ', 32), '{"tokens": 96}' FROM sessions s WHERE s.session_key = ${pick};`,
	},
	{
		name: 'context',
		what: "(b)'s append context: a context row with no activity UPDATE before it",
		sql: `INSERT INTO context_history (session_id, sequence_number, context_type, content, metadata)
SELECT s.id, nextval('bench_seq'), 'message', repeat('context line ', 32), '{"tokens": 96}' FROM sessions s WHERE s.session_key = ${pick};`,
	},
	{
		name: 'performance',
		what: "(b)'s log performance: a performance_logs row",
		sql: `INSERT INTO performance_logs (operation, duration_ms, success, session_id, metadata)
SELECT 'update_context', 1 + i % 250, i % 250 < 240, s.id, '{"agent": "claude-code"}' FROM sessions s WHERE s.session_key = ${pick};`,
	},
];

// 'before': handoff-top+server with the migrations before --before (default 16, the one that made these
// writes lighter), to show a migration's effect measured in the same run
type Kind = SchemaKind | 'before';
const kinds: Kind[] = ['server', 'handoff-top+server', 'before'];
const databaseOf = (kind: Kind) => ({server: 'server', 'handoff-top+server': 'ht_server', before: 'ht_before'})[kind as 'server'];

function findPgbin(given?: string): string {
	if (given) return given;
	const base = '/usr/lib/postgresql';
	const versions = existsSync(base) ? readdirSync(base).filter(v => existsSync(path.join(base, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
	if (versions.length === 0) throw new Error('no PostgreSQL installation found: pass --pgbin DIR (with initdb, pg_ctl, postgres)');
	return path.join(base, versions[0]!, 'bin');
}

const asRoot = process.getuid?.() === 0;
/** A command as the cluster's owner: postgres when we are root (PostgreSQL refuses to run as root). */
function asOwner(command: string, args: string[]): [string, string[]] {
	return asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function own(dir: string): void {
	if (!asRoot) return;
	const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
	const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
	execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
	chownSync(dir, uid, gid);
}

async function must(command: string, args: string[], what: string, timeoutMs = 600_000) {
	const [c, a] = asOwner(command, args);
	const r = await run(c, a, {timeoutMs});
	if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`);
	return r;
}

/** Instructions (callgrind's Ir) of one single-user backend running `script` on a fresh copy of `pristine`. */
async function instructions(pgbin: string, pristine: string, database: string, script: string, work: string): Promise<number> {
	const data = path.join(work, 'data');
	rmSync(data, {recursive: true, force: true});
	cpSync(pristine, data, {recursive: true});
	chmodSync(data, 0o700);
	own(data);
	const input = path.join(work, 'input.sql');
	writeFileSync(input, script, {mode: 0o644});
	const out = path.join(work, 'callgrind.out');
	const [c, a] = asOwner('sh', ['-c', `exec valgrind --tool=callgrind --callgrind-out-file=${out} ${path.join(pgbin, 'postgres')} --single -j -D ${data} ${database} < ${input} > /dev/null`]);
	const r = await run(c, a, {timeoutMs: 900_000});
	const total = /Collected : (\d+)/.exec(r.stderr)?.[1];
	if (r.code !== 0 || !total) throw new Error(`valgrind/postgres --single failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
	rmSync(out, {force: true});
	return Number(total);
}

/** The single-user script: one transaction, rolled back; -j mode ends a command at a semicolon and an empty line. */
function script(sql: string, n: number): string {
	return [
		'BEGIN;',
		"SELECT set_config('handoff_top.notify_skip_until', '1e15', false);",
		`DO $bench$ DECLARE i int; BEGIN FOR i IN 1..${n} LOOP ${sql.replaceAll('\n', ' ')} END LOOP; END $bench$;`,
		'ROLLBACK;',
		'',
	].join('\n\n');
}

export async function runInstructions(argv: string[], root: string, log: (line: string) => void): Promise<number> {
	let n = 400;
	let pgbinFlag: string | undefined;
	let out = path.join(root, 'bench', 'results', 'instructions.md');
	let before = 16;
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i]!;
		if (a === '--n') n = Number(argv[++i]);
		else if (a === '--pgbin') pgbinFlag = argv[++i];
		else if (a === '--out') out = path.resolve(argv[++i]!);
		else if (a === '--before') before = Number(argv[++i]);
		else throw new Error(`unknown flag '${a}' (instructions: --n N, --pgbin DIR, --out FILE, --before VERSION)`);
	}

	if (!Number.isInteger(n) || n < 10) throw new Error('--n must be an integer of at least 10');
	if ((await run('valgrind', ['--version']).catch(() => ({code: 1}))).code !== 0) throw new Error('valgrind not found (apt-get install valgrind)');
	const pgbin = findPgbin(pgbinFlag);
	const version = (await run(path.join(pgbin, 'postgres'), ['--version'])).stdout.trim();
	const work = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-instructions-'));
	chmodSync(work, 0o755);
	const pristine = path.join(work, 'pristine');
	own(work);
	try {
		log(`private cluster (${version}) in ${work}`);
		await must(path.join(pgbin, 'initdb'), ['-D', pristine, '-A', 'trust', '-U', 'postgres', '--no-sync'], 'initdb');
		const port = 20_000 + (process.pid % 20_000);
		await must(path.join(pgbin, 'pg_ctl'), ['-D', pristine, '-w', '-l', path.join(work, 'log'), '-o', `-p ${port} -k ${work} -c listen_addresses=`, 'start'], 'pg_ctl start');
		const admin = `postgres://postgres@/postgres?host=${encodeURIComponent(work)}&port=${port}`;
		try {
			const setup = readFileSync(path.join(root, 'bench', 'workloads', 'setup_common.sql'), 'utf8').replaceAll(':sessions', String(sessions));
			for (const kind of kinds) {
				const name = databaseOf(kind);
				await withClient(admin, c => c.query(`CREATE DATABASE ${name}`));
				const url = admin.replace('/postgres?', `/${name}?`);
				if (kind === 'before') {
					await withClient(url, async c => {
						await applyMigrations(c, {migrations: loadMigrations().filter(m => m.version < before)});
						await runStartupDdl(c);
						await runStartupDdl(c);
					});
				} else await installSchema(url, kind, root);
				await withClient(url, async c => {
					await c.query(setup);
					await c.query('VACUUM ANALYZE');
				});
				log(`  ${kind}: schema and ${sessions} sessions`);
			}
			await withClient(admin, c => c.query('CHECKPOINT'));
		} finally {
			await must(path.join(pgbin, 'pg_ctl'), ['-D', pristine, '-w', '-m', 'fast', 'stop'], 'pg_ctl stop');
		}

		const rows: Array<{name: string; what: string; server: number; ht: number; before: number}> = [];
		for (const s of statements) {
			const per: Record<string, number> = {};
			for (const kind of kinds) {
				const database = databaseOf(kind);
				const empty = await instructions(pgbin, pristine, database, script(s.sql, 0), work);
				const full = await instructions(pgbin, pristine, database, script(s.sql, n), work);
				per[kind] = (full - empty) / n;
			}
			rows.push({name: s.name, what: s.what, server: per['server']!, ht: per['handoff-top+server']!, before: per['before']!});
			log(`  ${s.name}: server ${Math.round(per['server']! / 1000)} k, handoff-top+server ${Math.round(per['handoff-top+server']! / 1000)} k (before ${before}: ${Math.round(per['before']! / 1000)} k) instructions`);
		}

		const k = (v: number) => `${Math.round(v / 1000).toLocaleString('en-US')} k`;
		const lines = [
			'# Benchmarks',
			'',
			'## Write cost in instructions',
			'',
			`Generated by \`npm run bench -- instructions --n ${n}\` on ${new Date().toISOString()} with ${version}, valgrind's callgrind, a single-user backend (bench/instructions.ts). Counts, not times: the same on a quiet machine and a busy one. Each statement runs ${n} times in one rolled-back transaction on a fresh copy of the cluster; the run with none is subtracted. The wake-up of listeners is skipped, as between two of its windows. Client round trips, commits and WAL flushes are not in these counts (pgbench's are), so the ratios here are those of the statements' own work.`,
			'',
			`Configurations: server = the handoff server's own schema as its start-up DDL creates it; handoff-top+server = every migration, then the server's start-up DDL twice (the state a real database is in); before ${String(before).padStart(3, '0')} = the same with the migrations before ${String(before).padStart(3, '0')} only.`,
			'',
			`| statement | server | handoff-top+server | ratio | before ${String(before).padStart(3, '0')} | ratio |`,
			'|---|---:|---:|---:|---:|---:|',
			...rows.map(r => `| ${r.name}: ${r.what} | ${k(r.server)} | ${k(r.ht)} | ${(r.ht / r.server).toFixed(2)} | ${k(r.before)} | ${(r.before / r.server).toFixed(2)} |`),
			'',
		];
		writeFileSync(out, lines.join('\n'));
		log(`written to ${out}`);
		return 0;
	} finally {
		rmSync(work, {recursive: true, force: true});
	}
}
