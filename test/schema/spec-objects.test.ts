// Everything the spec names exists under its name, with its type, and works.
import {beforeEach, describe, expect, it} from 'vitest';
import {useTestDatabase} from '../helpers/database.js';
import {insertContext, insertSession} from '../helpers/fixtures.js';

const db = useTestDatabase();

async function columnTypes(table: string): Promise<Record<string, string>> {
	const rows = await db().query(
		`SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type
		   FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
		[table],
	);
	return Object.fromEntries(rows.map(row => [row.attname, row.type]));
}

describe('tables and columns named by the spec', () => {
	it.each([
		['session_lifecycle', {id: 'uuid', session_id: 'uuid', event_type: 'character varying(50)', event_data: 'jsonb', created_at: 'timestamp with time zone'}],
		['system_metrics', {id: 'uuid', metric_name: 'character varying(255)', metric_value: 'numeric', metric_type: 'character varying(20)', labels: 'jsonb', recorded_at: 'timestamp with time zone'}],
		['performance_logs', {id: 'uuid', operation: 'character varying(100)', duration_ms: 'integer', success: 'boolean', session_id: 'uuid', metadata: 'jsonb', created_at: 'timestamp with time zone'}],
		['analytics_aggregations', {id: 'uuid', aggregation_type: 'character varying(50)', time_bucket: 'timestamp with time zone', aggregation_data: 'jsonb', created_at: 'timestamp with time zone'}],
		['sessions', {last_activity_at: 'timestamp with time zone', is_dormant: 'boolean', archived_at: 'timestamp with time zone', retention_policy: 'character varying(50)'}],
		['context_history', {processing_time_ms: 'integer', content_size_bytes: 'integer'}],
	])('%s has the spec columns', async (table, expected) => {
		expect(await columnTypes(table)).toMatchObject(expected);
	});

	it('session_lifecycle.session_id references sessions.id', async () => {
		const rows = await db().query(
			`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
			  WHERE conrelid = 'session_lifecycle'::regclass AND contype = 'f'`,
		);
		expect(rows.map(row => row.def)).toContainEqual(expect.stringContaining('REFERENCES sessions(id)'));
	});

	it('takes any lower-case event and aggregation type (real writers log their own), rejects other metric types', async () => {
		const {id} = await insertSession(db().pool);
		await db().query(`INSERT INTO session_lifecycle (session_id, event_type) VALUES ($1, 'expiration_scheduled')`, [id]);
		await expect(db().query(`INSERT INTO session_lifecycle (session_id, event_type) VALUES ($1, 'Not An Event')`, [id])).rejects.toThrow(/check constraint/);
		await expect(db().query(`INSERT INTO system_metrics (metric_name, metric_value, metric_type) VALUES ('x', 1, 'meter')`)).rejects.toThrow(/check constraint/);
		await db().query(`INSERT INTO analytics_aggregations (aggregation_type, time_bucket, aggregation_data) VALUES ('hourly_performance', now(), '{}')`);
		await expect(db().query(`INSERT INTO analytics_aggregations (aggregation_type, time_bucket) VALUES ('Other Type', now())`)).rejects.toThrow(/check constraint/);
	});
});

describe('indexes, triggers and views named by the spec', () => {
	it('has every named index on the right columns, labels as GIN', async () => {
		const rows = await db().query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`);
		const defs = Object.fromEntries(rows.map(row => [row.indexname, row.indexdef.replace(/^.* USING /, '')]));
		expect(defs).toMatchObject({
			idx_sessions_last_activity_at: 'btree (last_activity_at)',
			idx_sessions_is_dormant: 'btree (is_dormant) WHERE is_dormant',
			idx_sessions_archived_at: 'btree (archived_at) WHERE (archived_at IS NOT NULL)',
			idx_sessions_retention_policy: 'btree (retention_policy)',
			idx_sessions_status_last_activity: 'btree (status, last_activity_at)',
			idx_sessions_dormant_last_activity: 'btree (is_dormant, last_activity_at) WHERE is_dormant',
			idx_performance_logs_operation: 'btree (operation)',
			idx_performance_logs_operation_created_at: 'btree (operation, created_at)',
			idx_system_metrics_name_recorded_at: 'btree (metric_name, recorded_at)',
			idx_system_metrics_labels: 'gin (labels)',
		});
	});

	it('has the three spec triggers on sessions', async () => {
		const rows = await db().query(
			`SELECT tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = 'sessions'::regclass AND NOT tgisinternal`,
		);
		const defs = Object.fromEntries(rows.map(row => [row.tgname, row.def]));
		expect(defs['log_session_lifecycle']).toMatch(/AFTER INSERT OR UPDATE ON public\.sessions FOR EACH ROW/);
		expect(defs['update_sessions_last_activity']).toMatch(/BEFORE UPDATE ON public\.sessions FOR EACH ROW/);
		expect(defs['update_sessions_updated_at']).toMatch(/BEFORE UPDATE ON public\.sessions FOR EACH ROW EXECUTE FUNCTION update_updated_at_column\(\)/);
	});

	it("has both views with the columns the spec lists, exactly as the handoff server's start-up DDL defines them (its CREATE OR REPLACE VIEW is a no-op)", async () => {
		const session = Object.keys(await columnTypes('session_monitoring_view'));
		expect(session).toEqual([
			'id', 'session_key', 'agent_from', 'agent_to', 'status', 'created_at', 'updated_at', 'last_activity_at', 'is_dormant',
			'archived_at', 'retention_policy', 'expires_at', 'hours_since_activity', 'context_entries', 'handoff_requests', 'last_lifecycle_event',
		]);
		const performance = Object.keys(await columnTypes('performance_monitoring_view'));
		expect(performance).toEqual([
			'operation', 'total_calls', 'avg_duration_ms', 'min_duration_ms', 'max_duration_ms', 'p95_duration_ms',
			'successful_calls', 'failed_calls', 'success_rate_percent',
		]);
	});

	it('updated_at moves on every update', async () => {
		const {id} = await insertSession(db().pool, {createdAt: '2026-01-01T00:00:00Z'});
		await db().query(`UPDATE sessions SET updated_at = '2026-01-01T00:00:00Z' WHERE id = $1`, [id]);
		await db().query(`UPDATE sessions SET metadata = '{"a":1}' WHERE id = $1`, [id]);
		const [row] = await db().query('SELECT updated_at > now() - interval \'1 minute\' AS fresh FROM sessions WHERE id = $1', [id]);
		expect(row.fresh).toBe(true);
	});
});

describe('the spec usage examples run verbatim', () => {
	beforeEach(async () => {
		await db().query('DELETE FROM sessions');
	});

	it('Query Session Activity: idle over 24 h and not dormant', async () => {
		const idle = await insertSession(db().pool, {sessionKey: 'idle-30h', createdAt: new Date(Date.now() - 30 * 3600e3).toISOString(), retentionPolicy: 'permanent'});
		await insertSession(db().pool, {sessionKey: 'fresh'});
		const dormant = await insertSession(db().pool, {sessionKey: 'idle-dormant', createdAt: new Date(Date.now() - 40 * 3600e3).toISOString()});
		await db().query('UPDATE sessions SET is_dormant = true WHERE id = $1', [dormant.id]);
		await insertContext(db().pool, idle.id, 1);
		// context counts as activity: make the idle one idle again explicitly
		await db().query(`UPDATE sessions SET last_activity_at = now() - interval '30 hours' WHERE id = $1`, [idle.id]);

		const rows = await db().query(`SELECT * FROM session_monitoring_view 
WHERE hours_since_activity > 24 
AND is_dormant = false;`);
		expect(rows.map(row => row.session_key)).toEqual(['idle-30h']);
		expect(Number(rows[0].hours_since_activity)).toBeCloseTo(30, 0);
		expect(Number(rows[0].context_entries)).toBe(1);
		expect(rows[0].last_lifecycle_event).toBe('created');
	});

	it('Monitor Performance: operations under 95 % success', async () => {
		await db().query(`INSERT INTO performance_logs (operation, duration_ms, success)
			SELECT 'flaky_op', g, g % 10 <> 0 FROM generate_series(1, 100) g
			UNION ALL SELECT 'solid_op', g, true FROM generate_series(1, 100) g
			UNION ALL SELECT 'old_failures', 5, false FROM generate_series(1, 10) g`);
		await db().query(`UPDATE performance_logs SET created_at = now() - interval '25 hours' WHERE operation = 'old_failures'`);
		const rows = await db().query(`SELECT * FROM performance_monitoring_view 
WHERE success_rate_percent < 95;`);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({operation: 'flaky_op', total_calls: '100', min_duration_ms: 1, max_duration_ms: 100});
		expect(Number(rows[0].success_rate_percent)).toBeCloseTo(90, 6);
		expect(Number(rows[0].p95_duration_ms)).toBeCloseTo(95.05, 2);
		expect(Number(rows[0].avg_duration_ms)).toBeCloseTo(50.5, 2);
	});

	it('Track Session Lifecycle: newest event first', async () => {
		const {id} = await insertSession(db().pool);
		await db().query(`UPDATE sessions SET status = 'completed' WHERE id = $1`, [id]);
		const rows = await db().query(`SELECT sl.event_type, sl.event_data, sl.created_at
FROM session_lifecycle sl
WHERE sl.session_id = '${id}'
ORDER BY sl.created_at DESC;`);
		expect(rows.map(row => row.event_type).sort()).toEqual(['created', 'status_changed']);
		const changed = rows.find(row => row.event_type === 'status_changed');
		expect(changed.event_data).toMatchObject({old_status: 'active', new_status: 'completed'});
	});
});
