import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {useTestDatabase} from '../helpers/database.js';
import {seed} from '../queries/seed.js';
import {buildBinary, runBinary} from './binary.js';

const db = useTestDatabase();
const empty = useTestDatabase({schema: false});
let bin: string;
let remove: () => void;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
	await seed(db());
});
afterAll(() => remove?.());

describe('handoff-top snapshot', () => {
	it('prints every panel as aligned text within 80 columns', async () => {
		const {code, stdout, stderr} = await runBinary(bin, ['snapshot', '--dsn', db().url]);
		if (process.env['SHOW_SNAPSHOT']) console.log(stdout);
		expect(stderr).toBe('');
		expect(code).toBe(0);
		for (const title of ['Database', 'Schema', 'Live events', 'Sessions (6,', 'Dormant and due next', 'Performance (24 h', 'Latency p95', 'Metrics', 'Storage']) {
			expect(stdout).toContain(`── ${title}`);
		}

		for (const line of stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
		expect(stdout).toMatch(/^current: schema up to date/m);
		// the health line, as the monitor's; the rate is measured over the snapshot's own run (a second: on a quiet database 0)
		expect(stdout).toMatch(/^conn \d+\/\d+ · [\d.]+ tps · xact (none|\d+[smh]( \d+[smh])?) · 0 lock waits · feed lag 0s$/m);
		expect(stdout).toMatch(/^seed-a\s+active\s+claude→gpt\s+1\s+0\s+10m\s+created$/m);
		expect(stdout).toMatch(/^!\s+flaky\s+10\s+90\.0\s+/m); // below the 95 % threshold
		// p95 (fourth number) comes from the latency histogram: within 4.5 % of 95
		const fast = /^\s+fast\s+100\s+100\.0\s+50\.5\s+(\d+\.\d)\s+100$/m.exec(stdout);
		expect(fast).not.toBeNull();
		expect(Math.abs(Number(fast![1]) - 95) / 95).toBeLessThanOrEqual(0.045);
		expect(stdout).toMatch(/^seed-d\s+active\s+standard\s+1h 30m\s+dormant\s+in (30|31)m$/m);
		expect(stdout).toMatch(/^cpu\s+host=b\s+gauge\s+70\.00\s+2m$/m);
		expect(stdout).toMatch(/# archived\s+seed-f/);
	});

	it('--storage-limit: the Storage panel says how much of it is used and raises the alarm over 80 %, with a suggestion', async () => {
		const [{bytes}] = await db().query(`SELECT pg_database_size(current_database())::float8 AS bytes`);
		const limit = `${Math.ceil((bytes * 1.1) / 1024)}kB`;
		const {code, stdout, stderr} = await runBinary(bin, ['snapshot', '--storage-limit', limit, '--dsn', db().url]);
		expect(stderr).toBe('');
		expect(code).toBe(0);
		const storage = stdout.slice(stdout.indexOf('── Storage'));
		expect(storage).toMatch(/^TABLE +SIZE +INDEXES +ROWS +GROWTH +SWEEP +KEPT$/m);
		expect(storage).toMatch(/^performance_logs +[\d.]+ (kB|MB) +[\d.]+ (kB|MB) +[\d,]+ +(steady|[\d.]+ (bytes|kB|MB)\/d|\?) +(-|[\d,]+) +30d$/m);
		expect(storage).toMatch(/^limit [\d.]+ MB: 9\d\.\d % used, /m);
		expect(storage).toMatch(/^! ALARM: 9\d\.\d % of the storage limit \([\d.]+ MB\) used/m);
		expect(storage).toMatch(/^ {2}suggestion: /m);
		for (const line of stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
		const json = JSON.parse((await runBinary(bin, ['snapshot', '--json', '--storage-limit', limit, '--dsn', db().url])).stdout);
		expect(json.storage.ceilings[0]).toMatchObject({kind: 'limit'});
		expect(json.storage.alarms[0].ceiling).toBe('limit');
		const bad = await runBinary(bin, ['snapshot', '--storage-limit', 'lots', '--dsn', db().url]);
		expect(bad.stderr).toBe("handoff-top: --storage-limit must be a size such as '100GB', '500MB' or '2TB' (got 'lots')\n");
		expect(bad.code).toBe(2);
	});

	it('honours --threshold', async () => {
		const {code, stdout} = await runBinary(bin, ['snapshot', '--threshold', '80', '--dsn', db().url]);
		expect(code).toBe(0);
		expect(stdout).toMatch(/^\s+flaky\s+10\s+90\.0/m);
	});

	it('prints one JSON document with every panel', async () => {
		const {code, stdout} = await runBinary(bin, ['snapshot', '--json', '--window', '6h', '--limit', '3', '--dsn', db().url]);
		expect(code).toBe(0);
		const doc = JSON.parse(stdout) as Record<string, any>;
		expect(Object.keys(doc).sort()).toEqual(
			['connection', 'dormant', 'event_counts', 'events', 'generated_at', 'health', 'latency', 'metrics', 'performance', 'schema', 'sessions', 'storage'].sort(),
		);
		expect(doc['schema'].state).toBe('current');
		expect(doc['health']).toMatchObject({waiting_locks: 0, feed_lag_ms: 0, feed_held_back: false, oldest_xact_readable: true, replication: null});
		expect(doc['health'].connections).toBeGreaterThanOrEqual(1);
		expect(doc['health'].max_connections).toBeGreaterThan(doc['health'].connections);
		expect(doc['health'].tps).toBeGreaterThanOrEqual(0);
		expect(doc['sessions'].total).toBe(6);
		expect(doc['sessions'].rows).toHaveLength(3);
		expect(doc['events']).toHaveLength(3);
		expect(doc['events'][0]).toMatchObject({event_type: 'archived', session_key: 'seed-f'});
		expect(doc['performance'].rows.find((r: any) => r.operation === 'flaky').below_threshold).toBe(true);
		// one key style throughout (snake_case, as tail --json): no camelCase key anywhere outside the database's own data
		const camel: string[] = [];
		const walk = (value: unknown, path: string) => {
			if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`));
			else if (value && typeof value === 'object')
				for (const [key, item] of Object.entries(value)) {
					if (/[A-Z]/.test(key)) camel.push(`${path}.${key}`);
					if (!['event_data', 'labels', 'metadata'].includes(key)) walk(item, `${path}.${key}`);
				}
		};
		walk(doc, '');
		expect(camel).toEqual([]);
		expect(doc['sessions'].rows[0]).toHaveProperty('session_key');
		expect(doc['latency'].window).toBe('6h');
		expect(doc['metrics']).toHaveLength(3);
		expect(doc['event_counts'].totals.created).toBe(6);
	});

	it('says what is wrong with a database without the schema, exit 6', async () => {
		const text = await runBinary(bin, ['snapshot', '--dsn', empty().url]);
		expect(text.code).toBe(6);
		expect(text.stdout).toMatch(/missing: no handoff schema/);
		expect(text.stderr).toMatch(/no handoff schema/);
		const json = await runBinary(bin, ['snapshot', '--json', '--dsn', empty().url]);
		expect(json.code).toBe(6);
		expect(JSON.parse(json.stdout).schema.state).toBe('missing');
	});

	it('rejects bad flags and DSNs with one line and the documented codes', async () => {
		const cases: Array<[string[], number, RegExp]> = [
			[['--threshold', '120'], 2, /--threshold must be between 0 and 100/],
			[['--window', '2h'], 2, /--window must be 1h, 6h or 24h/],
			[['--limit', '0'], 2, /--limit must be at least 1/],
			[['--dsn', 'not a url'], 2, /malformed --dsn/],
			[['--dsn', 'postgres://postgres@127.0.0.1:1/postgres'], 3, /cannot connect to 127\.0\.0\.1:1\/postgres: connection refused/],
			[['--dsn', new URL('/no_such_db', db().adminUrl).toString()], 3, /database "no_such_db" does not exist/],
		];
		for (const [args, code, message] of cases) {
			const run = await runBinary(bin, ['snapshot', ...args]);
			expect({args, code: run.code}).toEqual({args, code});
			expect(run.stderr).toMatch(message);
			expect(run.stderr.trim().split('\n')).toHaveLength(1);
			expect(run.stdout).toBe('');
		}
	});
});
