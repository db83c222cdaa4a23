// handoff-top exporter, the built binary against the test server: values
// against the databases' own counts, two databases at once, --label, the
// state file across an exporter restart, usage errors and --help.
import {spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ensureMonitorRole} from '../../source/db/monitorRole.js';
import {buildBinary, exited, runBinary, until} from '../commands/binary.js';
import {useTestDatabase} from '../helpers/database.js';
import {parsePrometheusText, scrape, startExporter, value, type Sample} from './exporterHelpers.js';
import {promtool, skipWithoutPrometheus} from './prometheusBinaries.js';

const a = useTestDatabase();
const b = useTestDatabase();
let bin: string;
let remove: () => void;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
});
afterAll(() => remove?.());

async function samples(url: string): Promise<Sample[]> {
	return parsePrometheusText(await scrape(url));
}

let scraped = '';

describe('handoff-top exporter', () => {
	it('serves two databases with their own counts of sessions, events and calls', async () => {
		await a().query(`INSERT INTO sessions (session_key, agent_from, status) SELECT 'a-' || i, 'x', CASE WHEN i <= 3 THEN 'active' ELSE 'completed' END FROM generate_series(1, 5) i`);
		await a().query(`UPDATE sessions SET is_dormant = true WHERE session_key = 'a-1'`);
		await a().query(`UPDATE sessions SET archived_at = now() WHERE session_key = 'a-5'`);
		await b().query(`INSERT INTO sessions (session_key, agent_from) VALUES ('b-1', 'y')`);
		const exporter = await startExporter(bin, ['--dsn', `alpha=${a().url}`, '--dsn', `beta=${b().url}`, '--label', 'env=test']);
		try {
			await until(async () => {
				const first = await samples(exporter.url);
				return value(first, 'handoff_top_up', {database: 'alpha'}) === 1 && value(first, 'handoff_top_up', {database: 'beta'}) === 1;
			}, 15_000, 'both up');
			// calls logged after the exporter's first read, 9 s in the past: counted once 10 s have passed
			await a().query(
				`INSERT INTO performance_logs (operation, duration_ms, success, created_at)
				 SELECT op, d, i % 4 <> 0, now() - interval '9 seconds'
				   FROM unnest(array['register', 'register', 'register', 'handoff', 'handoff', 'handoff', 'handoff', 'register'],
				               array[0, 1, 2, 3, 5, 100, 1500, 70000]) WITH ORDINALITY AS t(op, d, i)`,
			);
			const expectedCalls = await a().query<{operation: string; calls: string; failures: string; sum: string}>(
				`SELECT operation, count(*) AS calls, count(*) FILTER (WHERE NOT success) AS failures, sum(duration_ms) AS sum FROM performance_logs GROUP BY 1`,
			);
			let text = '';
			await until(
				async () => {
					text = await scrape(exporter.url);
					return value(parsePrometheusText(text), 'handoff_top_operation_calls_total', {database: 'alpha', operation: 'register'}) === 4;
				},
				20_000,
				'calls counted',
			);
			const s = parsePrometheusText(text);
			scraped = text;
			for (const sample of s) expect(sample.labels['env'], sample.name).toBe('test');

			const sessions = (await a().query<{active: string; dormant: string; archived: string}>(
				`SELECT count(*) FILTER (WHERE NOT is_dormant AND archived_at IS NULL) AS active,
				        count(*) FILTER (WHERE is_dormant AND archived_at IS NULL) AS dormant,
				        count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived FROM sessions`,
			))[0]!;
			expect(value(s, 'handoff_top_sessions', {database: 'alpha', state: 'active'})).toBe(Number(sessions.active));
			expect(value(s, 'handoff_top_sessions', {database: 'alpha', state: 'dormant'})).toBe(Number(sessions.dormant));
			expect(value(s, 'handoff_top_sessions', {database: 'alpha', state: 'archived'})).toBe(Number(sessions.archived));
			expect([sessions.active, sessions.dormant, sessions.archived].map(Number)).toEqual([3, 1, 1]);
			// a small table: counted, not sampled
			expect(value(s, 'handoff_top_sessions_sampled_ratio', {database: 'alpha'})).toBe(1);
			for (const row of await a().query<{status: string; n: string}>(`SELECT status, count(*) AS n FROM sessions GROUP BY 1`)) {
				expect(value(s, 'handoff_top_sessions_by_status', {database: 'alpha', status: row.status})).toBe(Number(row.n));
			}

			expect(value(s, 'handoff_top_sessions', {database: 'beta', state: 'active'})).toBe(1);

			for (const [name, database] of [['alpha', a()], ['beta', b()]] as const) {
				const rows = await database.query<{event_type: string; n: string}>(`SELECT event_type, count(*) AS n FROM session_lifecycle GROUP BY 1`);
				expect(rows.length).toBeGreaterThan(0);
				for (const row of rows) expect(value(s, 'handoff_top_lifecycle_events_total', {database: name, event_type: row.event_type}), row.event_type).toBe(Number(row.n));
			}

			for (const row of expectedCalls) {
				const labels = {database: 'alpha', operation: row.operation};
				expect(value(s, 'handoff_top_operation_calls_total', labels)).toBe(Number(row.calls));
				expect(value(s, 'handoff_top_operation_failures_total', labels)).toBe(Number(row.failures));
				expect(value(s, 'handoff_top_operation_duration_seconds_count', labels)).toBe(Number(row.calls));
				expect(value(s, 'handoff_top_operation_duration_seconds_sum', labels)).toBeCloseTo(Number(row.sum) / 1000, 6);
				// every bucket: exactly the calls at most `le` long
				const buckets = s.filter(x => x.name === 'handoff_top_operation_duration_seconds_bucket' && x.labels['database'] === 'alpha' && x.labels['operation'] === row.operation);
				expect(buckets.length).toBeGreaterThan(30);
				for (const bucket of buckets) {
					const le = bucket.labels['le']!;
					const [n] = await a().query<{n: string}>(
						`SELECT count(*) AS n FROM performance_logs WHERE operation = $1 AND ($2 = '+Inf' OR duration_ms <= $2::float8 * 1000 + 1e-6)`,
						[row.operation, le],
					);
					expect(bucket.value, `le=${le}`).toBe(Number(n!.n));
				}
			}

			expect(value(s, 'handoff_top_operation_calls_total', {database: 'beta'})).toBeUndefined();
			expect(value(s, 'handoff_top_schema_state', {database: 'alpha', state: 'current'})).toBe(1);
			expect(value(s, 'handoff_top_schema_state', {database: 'alpha', state: 'missing'})).toBe(0);
			expect(value(s, 'handoff_top_feed_lag_seconds', {database: 'alpha'})).toBe(0);
			expect(value(s, 'handoff_top_up', {database: 'alpha'})).toBe(1);
			const last = value(s, 'handoff_top_last_success_timestamp_seconds', {database: 'alpha'})!;
			expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(30);
			// no label per session
			for (const sample of s) for (const label of Object.values(sample.labels)) expect(label).not.toMatch(/^a-\d$/);

			// a new event is counted once, on the next scrape
			await a().query(`UPDATE sessions SET status = 'completed' WHERE session_key = 'a-2'`);
			const before = value(s, 'handoff_top_lifecycle_events_total', {database: 'alpha', event_type: 'status_changed'}) ?? 0;
			await until(async () => value(await samples(exporter.url), 'handoff_top_lifecycle_events_total', {database: 'alpha', event_type: 'status_changed'}) === before + 1, 10_000, 'new event');
			const again = await samples(exporter.url);
			expect(value(again, 'handoff_top_lifecycle_events_total', {database: 'alpha', event_type: 'status_changed'})).toBe(before + 1);
		} finally {
			exporter.kill('SIGTERM');
			expect(await exited(exporter)).toBe(0);
		}
	});

	it.skipIf(skipWithoutPrometheus)('serves text that promtool check metrics accepts', () => {
		expect(scraped).toContain('handoff_top_operation_duration_seconds_bucket');
		const check = spawnSync(promtool!, ['check', 'metrics'], {input: scraped, encoding: 'utf8'});
		expect(check.stdout + check.stderr).toBe('');
		expect(check.status).toBe(0);
		// and it would say so: a counter without _total is linted
		const bad = spawnSync(promtool!, ['check', 'metrics'], {input: '# HELP x_calls calls\n# TYPE x_calls counter\nx_calls 1\n', encoding: 'utf8'});
		expect(bad.status).not.toBe(0);
	});

	it('serves scrapes that overlap a running read with the result of that read', async () => {
		const exporter = await startExporter(bin, ['--dsn', `alpha=${a().url}`]);
		const locker = await a().connect();
		try {
			await until(async () => value(await samples(exporter.url), 'handoff_top_up', {database: 'alpha'}) === 1, 15_000, 'up');
			// the next read waits for this lock (or gives up after the monitor's 1 s lock_timeout)
			await locker.query('BEGIN');
			await locker.query('LOCK TABLE handoff_top_migrations IN ACCESS EXCLUSIVE MODE');
			const first = scrape(exporter.url);
			await until(
				async () =>
					(await a().query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'handoff-top-exporter%' AND wait_event_type = 'Lock'`)).length === 1,
				10_000,
				'the read waiting for the lock',
			);
			const more = [scrape(exporter.url), scrape(exporter.url)];
			await locker.query('COMMIT');
			const texts = await Promise.all([first, ...more]);
			// one read, one rendering: the same text to the millisecond of its read
			expect(texts[1]).toBe(texts[0]);
			expect(texts[2]).toBe(texts[0]);
			expect(texts[0]).toContain('handoff_top_last_success_timestamp_seconds{database="alpha"}');
		} finally {
			await locker.query('ROLLBACK').catch(() => {});
			await locker.end();
			exporter.kill('SIGTERM');
			await exited(exporter);
		}
	});

	it('reads as the least-privilege monitor role', async () => {
		const role = `ht_exporter_${randomBytes(4).toString('hex')}`;
		const admin = await a().connect();
		try {
			await ensureMonitorRole(admin, {role, password: 'secret', database: a().name, schema: 'public'});
		} finally {
			await admin.end();
		}

		const url = new URL(a().url);
		url.username = role;
		url.password = 'secret';
		const exporter = await startExporter(bin, ['--dsn', url.toString()]);
		try {
			let s: Sample[] = [];
			await until(async () => value((s = await samples(exporter.url)), 'handoff_top_up', {database: a().name}) === 1, 15_000, 'up as the monitor role');
			const [row] = await a().query<{n: string}>(`SELECT count(*) AS n FROM session_lifecycle WHERE event_type = 'created'`);
			expect(value(s, 'handoff_top_lifecycle_events_total', {database: a().name, event_type: 'created'})).toBe(Number(row!.n));
			expect(value(s, 'handoff_top_sessions_by_status', {database: a().name, status: 'completed'})).toBeGreaterThan(0);
			expect(value(s, 'handoff_top_schema_state', {database: a().name, state: 'current'})).toBe(1);
			// storage too: the Storage panel's statements need no privilege beyond the monitor role's
			expect(value(s, 'handoff_top_storage_table_bytes', {database: a().name, table: 'sessions'})).toBeGreaterThan(0);
			expect(exporter.output.stderr).not.toMatch(/down|permission|storage metrics left out/);
		} finally {
			exporter.kill('SIGTERM');
			await exited(exporter);
			const admin2 = await a().connect();
			await admin2.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => {});
			await admin2.end();
		}
	});

	it('carries its counters across an exporter restart with --state, even when rows were purged meanwhile', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-exporter-'));
		const state = path.join(dir, 'state', 'exporter.json');
		try {
			const args = ['--dsn', `alpha=${a().url}`, '--state', state];
			let exporter = await startExporter(bin, args);
			let s: Sample[] = [];
			await until(async () => value((s = await samples(exporter.url)), 'handoff_top_up', {database: 'alpha'}) === 1, 15_000, 'up');
			const created = value(s, 'handoff_top_lifecycle_events_total', {database: 'alpha', event_type: 'created'})!;
			const [own] = await a().query<{n: string}>(`SELECT count(*) AS n FROM session_lifecycle WHERE event_type = 'created'`);
			expect(created).toBe(Number(own!.n));
			await a().query(`INSERT INTO performance_logs (operation, duration_ms, created_at) VALUES ('restart_op', 7, now() - interval '9 seconds')`);
			await until(async () => value((s = await samples(exporter.url)), 'handoff_top_operation_calls_total', {database: 'alpha', operation: 'restart_op'}) === 1, 15_000, 'call counted');
			exporter.kill('SIGTERM');
			expect(await exited(exporter)).toBe(0);
			expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({version: 1, databases: {alpha: {events: {created}}}});

			// while it is stopped: a session is purged (its lifecycle rows go with it), two are created
			await a().query(`DELETE FROM sessions WHERE session_key = 'a-4'`);
			await a().query(`INSERT INTO sessions (session_key, agent_from) VALUES ('a-6', 'x'), ('a-7', 'x')`);
			exporter = await startExporter(bin, args);
			try {
				await until(async () => value((s = await samples(exporter.url)), 'handoff_top_up', {database: 'alpha'}) === 1, 15_000, 'up again');
				expect(value(s, 'handoff_top_lifecycle_events_total', {database: 'alpha', event_type: 'created'})).toBe(created + 2);
				expect(value(s, 'handoff_top_operation_calls_total', {database: 'alpha', operation: 'restart_op'})).toBe(1);
				expect(value(s, 'handoff_top_operation_duration_seconds_bucket', {database: 'alpha', operation: 'restart_op', le: '0.007'})).toBe(1);
			} finally {
				exporter.kill('SIGINT');
				expect(await exited(exporter)).toBe(0);
			}

			// without --state it counts the database's own rows: fewer, the purged ones are gone
			exporter = await startExporter(bin, ['--dsn', `alpha=${a().url}`]);
			try {
				await until(async () => value((s = await samples(exporter.url)), 'handoff_top_up', {database: 'alpha'}) === 1, 15_000, 'up without state');
				const [now] = await a().query<{n: string}>(`SELECT count(*) AS n FROM session_lifecycle WHERE event_type = 'created'`);
				expect(value(s, 'handoff_top_lifecycle_events_total', {database: 'alpha', event_type: 'created'})).toBe(Number(now!.n));
				expect(Number(now!.n)).toBe(created + 1);
			} finally {
				exporter.kill('SIGTERM');
				await exited(exporter);
			}
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});

	it('answers --help without a database, and bad flags with one line and exit 2', async () => {
		const help = await runBinary(bin, ['exporter', '--help', '--dsn', 'postgres://nobody@127.0.0.1:1/none'], {PGHOST: 'no-such-host.invalid'});
		expect(help.code).toBe(0);
		expect(help.stdout).toContain('exporter');
		expect(help.stdout).toContain('--listen HOST:PORT');
		expect(help.stderr).toBe('');

		const cases: Array<[string[], string]> = [
			[['--listen', 'localhost'], '--listen must be HOST:PORT'],
			[['--listen', '127.0.0.1:70000'], '--listen must be HOST:PORT'],
			[['--label', 'env'], '--label must be NAME=VALUE'],
			[['--label', 'database=x'], '--label database is set by the exporter itself'],
			[['--label', '1x=y'], '--label must be NAME=VALUE'],
			[['--dsn', a().url, '--dsn', a().url], 'two databases are both labelled'],
			[['--dsn', 'mysql://x'], 'malformed --dsn'],
			[['--dsn', 'a b=postgres://x/y'], '--dsn NAME=URL'],
			[['extra'], 'exporter takes no arguments'],
		];
		for (const [args, message] of cases) {
			const result = await runBinary(bin, ['exporter', ...args]);
			expect(result.code, args.join(' ')).toBe(2);
			expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
			expect(result.stderr, args.join(' ')).toContain(message);
		}

		const twice = await runBinary(bin, ['tail', '--dsn', a().url, '--dsn', b().url]);
		expect(twice.code).toBe(2);
		expect(twice.stderr).toContain('--dsn given more than once');

		// the port is taken: one line, exit 2
		const first = await startExporter(bin, ['--dsn', a().url]);
		try {
			const port = new URL(first.url).port;
			const taken = await runBinary(bin, ['exporter', '--listen', `127.0.0.1:${port}`, '--dsn', a().url]);
			expect(taken.code).toBe(2);
			expect(taken.stderr).toContain('the address is in use');
		} finally {
			first.kill('SIGTERM');
			await exited(first);
		}
	});
});
