// Thousands of simulated operations against a real database with the handoff
// schema: every constraint holds, nothing errors, every kind of event and
// operation is produced, and the sweep ran every lifecycle step.
import {beforeAll, describe, expect, it} from 'vitest';
import {operations} from '../../source/simulator/latency.js';
import {prepareDatabase, Simulator, type SimulatorStats} from '../../source/simulator/simulator.js';
import {useTestDatabase} from '../helpers/database.js';

const db = useTestDatabase();
const operationCount = 3000;
// A lifecycle in about a second, so a run of a few seconds sees every step.
const policy = {sessionTtlMs: 1800, dormantAfterMs: 350, archiveAfterMs: 250, purgeAfterMs: 500};

let stats: SimulatorStats;
let throughput: number;

beforeAll(async () => {
	const client = await db().connect();
	try {
		await prepareDatabase(client, {policy});
	} finally {
		await client.end();
	}

	const simulator = new Simulator({
		connection: {connectionString: db().url},
		// At most 1200/s, so the run lasts at least 2.5 s: longer than a session's whole lifecycle.
		rate: 1200,
		concurrency: 4,
		maxOperations: operationCount,
		sweepIntervalMs: 200,
		metricsIntervalMs: 300,
		seed: 42,
		workload: {policy, liveSessions: 25, policyMix: {demo: 85, standard: 5, extended: 5, permanent: 5}},
		faults: {meanBurstIntervalMs: 600, burstMinMs: 100, burstMaxMs: 400, spikeProbability: 0.02},
	});
	stats = await simulator.run();
	throughput = stats.operations / (stats.elapsedMs / 1000);
	console.info(`simulator: ${stats.operations} operations in ${stats.elapsedMs} ms (${Math.round(throughput)}/s), sweeps ${stats.sweeps}`, stats.swept);
}, 60_000);

describe('the simulator against a real handoff database', () => {
	it('ran every operation without an unexpected error', () => {
		expect(stats.lastError).toBeUndefined();
		expect(stats.errors).toBe(0);
		expect(stats.operations).toBe(operationCount);
		expect(Object.keys(stats.byOperation).sort()).toEqual([...operations].sort());
	});

	it('logged every operation, with failures and a long tail', async () => {
		const rows = await db().query(
			`SELECT operation, count(*)::int AS calls, count(*) FILTER (WHERE NOT success)::int AS failures,
			        percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50, max(duration_ms) AS max
			   FROM performance_logs GROUP BY operation`,
		);
		const byOperation = new Map(rows.map(row => [row.operation, row]));
		for (const operation of [...operations, 'lifecycle_sweep']) expect(byOperation.has(operation), operation).toBe(true);
		const logged = rows.reduce((sum, row) => sum + row.calls, 0);
		expect(logged).toBe(stats.performanceLogs);
		expect(logged).toBe(operationCount + stats.sweeps);
		const failures = rows.reduce((sum, row) => sum + row.failures, 0);
		expect(failures).toBe(stats.modelledFailures);
		expect(failures).toBeGreaterThan(0);
		const context = byOperation.get('update_context');
		expect(Number(context.max)).toBeGreaterThan(8 * Number(context.p50));
		// Every log that names a session names one that exists (or existed: purge sets NULL).
		const [{orphans}] = await db().query(
			'SELECT count(*)::int AS orphans FROM performance_logs p WHERE p.session_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = p.session_id)',
		);
		expect(orphans).toBe(0);
	});

	it('produced every lifecycle event type, and the sweep did every step', async () => {
		const rows = await db().query('SELECT event_type, count(*)::int AS n FROM session_lifecycle GROUP BY event_type');
		expect(rows.map(row => row.event_type).sort()).toEqual(['archived', 'created', 'dormant', 'expired', 'reactivated', 'status_changed']);
		expect(stats.sweeps).toBeGreaterThan(3);
		for (const action of ['expire', 'dormant', 'archive', 'purge'] as const) expect(stats.swept[action], action).toBeGreaterThan(0);
		const [{audited}] = await db().query('SELECT count(*)::int AS audited FROM session_purge_audit');
		expect(audited).toBe(stats.swept.purge);
		// One 'created' per session still there; each expired session has its event.
		const [{missing}] = await db().query(
			`SELECT count(*)::int AS missing FROM sessions s
			  WHERE (SELECT count(*) FROM session_lifecycle l WHERE l.session_id = s.id AND l.event_type = 'created') <> 1
			     OR (s.status = 'expired' AND NOT EXISTS (SELECT 1 FROM session_lifecycle l WHERE l.session_id = s.id AND l.event_type = 'expired'))`,
		);
		expect(missing).toBe(0);
	});

	it('never wrote to an archived session', async () => {
		const [row] = await db().query(
			`SELECT (SELECT count(*) FROM context_history c JOIN sessions s ON s.id = c.session_id
			          WHERE c.created_at > s.archived_at)::int AS context,
			        (SELECT count(*) FROM handoff_requests h JOIN sessions s ON s.id = h.session_id
			          WHERE h.created_at > s.archived_at OR h.completed_at > s.archived_at)::int AS handoffs`,
		);
		expect(row).toEqual({context: 0, handoffs: 0});
		expect(stats.readOnlySkips).toBe(0);
	});

	it('keeps the data consistent: sequences, sizes, handoff outcomes, policies', async () => {
		const [row] = await db().query(
			`SELECT
			   (SELECT count(*) FROM (SELECT session_id FROM context_history GROUP BY session_id
			                           HAVING max(sequence_number) <> count(*) OR min(sequence_number) <> 1) x)::int AS gaps,
			   (SELECT count(*) FROM context_history WHERE content_size_bytes <> octet_length(content))::int AS bad_sizes,
			   (SELECT count(*) FROM context_history WHERE processing_time_ms IS NULL OR processing_time_ms < 0)::int AS bad_times,
			   (SELECT count(*) FROM handoff_requests
			     WHERE (status IN ('completed', 'rejected')) <> (completed_at IS NOT NULL))::int AS bad_handoffs,
			   (SELECT count(*) FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM retention_policies p WHERE p.name = s.retention_policy))::int AS bad_policies,
			   (SELECT count(*) FROM sessions WHERE archived_at IS NOT NULL AND status NOT IN ('expired', 'completed', 'cancelled'))::int AS bad_archives`,
		);
		expect(row).toEqual({gaps: 0, bad_sizes: 0, bad_times: 0, bad_handoffs: 0, bad_policies: 0, bad_archives: 0});
		const types = await db().query('SELECT context_type, count(*)::int AS n FROM context_history GROUP BY context_type ORDER BY n DESC');
		expect(types.map(t => t.context_type)).toEqual(['message', 'tool_call', 'file', 'system']);
		const statuses = await db().query('SELECT DISTINCT status FROM handoff_requests');
		expect(statuses.map(s => s.status).sort()).toEqual(['accepted', 'completed', 'pending', 'rejected']);
		// Every check and foreign key is in force (the server enforced them on each write above).
		const [{invalid}] = await db().query(
			"SELECT count(*)::int AS invalid FROM pg_constraint WHERE contype IN ('c', 'f') AND NOT convalidated AND connamespace = 'public'::regnamespace",
		);
		expect(invalid).toBe(0);
	});

	it('recorded system_metrics of every type, with labels', async () => {
		const rows = await db().query(
			`SELECT metric_type, count(*)::int AS n, count(*) FILTER (WHERE labels <> '{}')::int AS labelled
			   FROM system_metrics GROUP BY metric_type ORDER BY metric_type`,
		);
		expect(rows.map(row => row.metric_type)).toEqual(['counter', 'gauge', 'histogram']);
		for (const row of rows) expect(row.labelled).toBeGreaterThan(0);
		const [{decreasing}] = await db().query(
			`SELECT count(*)::int AS decreasing FROM (
			   SELECT metric_value < lag(metric_value) OVER (PARTITION BY metric_name, labels ORDER BY recorded_at, id) AS down
			     FROM system_metrics WHERE metric_type = 'counter') x WHERE down`,
		);
		expect(decreasing).toBe(0);
	});

	it('runs at a useful rate', () => {
		expect(throughput).toBeGreaterThan(300);
		expect(stats.elapsedMs).toBeGreaterThanOrEqual(2000);
	});
});
