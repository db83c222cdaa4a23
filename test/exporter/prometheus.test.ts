// A real Prometheus scrapes the exporter (Debian package 'prometheus'; .ci/run
// installs it, elsewhere the test is skipped without it), with the README's
// alerting rules loaded; promtool checks the rules and their unit tests.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {freePort} from '../../source/embedded/embeddedServer.js';
import {packageRoot} from '../../source/paths.js';
import {buildBinary, exited, until} from '../commands/binary.js';
import {useTestDatabase} from '../helpers/database.js';
import {startExporter, type Exporter} from './exporterHelpers.js';
import {prometheus, promtool, skipWithoutPrometheus} from './prometheusBinaries.js';

const db = useTestDatabase();
const examples = path.join(packageRoot(), 'examples', 'prometheus');
const rules = path.join(examples, 'handoff-top.rules.yml');
let bin: string;
let remove: () => void;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
});
afterAll(() => remove?.());

type Vector = Array<{metric: Record<string, string>; value: [number, string]}>;

async function api<T>(base: string, pathAndQuery: string): Promise<T> {
	const response = await fetch(`${base}${pathAndQuery}`);
	const body = (await response.json()) as {status: string; data: T};
	if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${JSON.stringify(body)}`);
	return body.data;
}

describe.skipIf(skipWithoutPrometheus)('Prometheus', () => {
	it('promtool accepts the alerting rules, and their unit tests pass', () => {
		const check = spawnSync(promtool!, ['check', 'rules', rules], {encoding: 'utf8'});
		expect(check.status, check.stdout + check.stderr).toBe(0);
		expect(check.stdout).toContain('SUCCESS: 6 rules found');
		const tests = spawnSync(promtool!, ['test', 'rules', path.join(examples, 'handoff-top.rules.test.yml')], {encoding: 'utf8'});
		expect(tests.status, tests.stdout + tests.stderr).toBe(0);
		const config = spawnSync(promtool!, ['check', 'config', path.join(examples, 'prometheus.yml')], {encoding: 'utf8'});
		expect(config.status, config.stdout + config.stderr).toBe(0);
	});

	it('the README shows the scrape config and the rules as they are in examples/prometheus', () => {
		const readme = readFileSync(path.join(packageRoot(), 'README.md'), 'utf8');
		for (const file of ['prometheus.yml', 'handoff-top.rules.yml']) expect(readme).toContain(readFileSync(path.join(examples, file), 'utf8').trimEnd());
	});

	it('scrapes the exporter: the database is up and its counters are queryable', async () => {
		await db().query(`INSERT INTO sessions (session_key, agent_from) SELECT 'p-' || i, 'x' FROM generate_series(1, 7) i`);
		const dir = mkdtempSync(path.join(os.tmpdir(), 'handoff-top-prometheus-'));
		let exporter: Exporter | undefined;
		let server: ChildProcess | undefined;
		let log = '';
		try {
			exporter = await startExporter(bin, ['--dsn', `ci=${db().url}`, '--label', 'env=ci']);
			const target = new URL(exporter.url).host;
			const port = await freePort();
			writeFileSync(
				path.join(dir, 'prometheus.yml'),
				[
					'global:',
					'  scrape_interval: 1s',
					'  evaluation_interval: 1s',
					'rule_files:',
					`  - ${JSON.stringify(rules)}`,
					'scrape_configs:',
					'  - job_name: handoff-top',
					'    scrape_timeout: 1s',
					'    static_configs:',
					`      - targets: [${JSON.stringify(target)}]`,
					'',
				].join('\n'),
			);
			server = spawn(
				prometheus!,
				[`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
				{stdio: ['ignore', 'pipe', 'pipe']},
			);
			server.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
			server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
			const base = `http://127.0.0.1:${port}`;
			const query = async (expr: string) => api<{result: Vector}>(base, `/api/v1/query?query=${encodeURIComponent(expr)}`).then(d => d.result);

			let up: Vector = [];
			await until(
				async () => {
					if (server!.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
					up = await query('handoff_top_up{database="ci"}').catch(() => []);
					return up.length === 1;
				},
				30_000,
				'prometheus has scraped the exporter',
			);
			expect(up[0]!.value[1]).toBe('1');
			expect(up[0]!.metric).toMatchObject({job: 'handoff-top', database: 'ci', env: 'ci'});
			const created = await query('handoff_top_lifecycle_events_total{database="ci",event_type="created"}');
			const [own] = await db().query<{n: string}>(`SELECT count(*) AS n FROM session_lifecycle WHERE event_type = 'created'`);
			expect(created[0]?.value[1]).toBe(own!.n);
			expect(Number(own!.n)).toBe(7);

			const targets = await api<{activeTargets: Array<{health: string; lastError: string}>}>(base, '/api/v1/targets');
			expect(targets.activeTargets.map(t => [t.health, t.lastError])).toEqual([['up', '']]);
			// the rules are loaded and evaluate without error against the exporter's series
			await until(
				async () => {
					const loaded = await api<{groups: Array<{rules: Array<{health: string}>}>}>(base, '/api/v1/rules');
					const all = loaded.groups.flatMap(g => g.rules);
					return all.length === 6 && all.every(r => r.health === 'ok');
				},
				20_000,
				'rules evaluated',
			);
			const firing = await api<{alerts: Array<{labels: Record<string, string>}>}>(base, '/api/v1/alerts');
			expect(firing.alerts).toEqual([]);
		} finally {
			server?.kill('SIGTERM');
			if (server) await exited(server);
			exporter?.kill('SIGTERM');
			if (exporter) await exited(exporter);
			rmSync(dir, {recursive: true, force: true});
		}
	}, 90_000);
});
