import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {loadMigrations} from '../../source/db/migrations.js';
import {inspectSchema, normaliseViewDefinition, type SchemaDescription} from '../../source/db/validation/catalog.js';
import {diffSchemas, isDrift} from '../../source/db/validation/diff.js';
import {
	expectedSchemaFile,
	generateExpectedSchema,
	loadExpectedSchema,
	serialiseExpectedSchema,
} from '../../source/db/validation/expected.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();

describe('sql/expected_schema.json', () => {
	it('is what the bundled migrations produce on this server (run `npm run schema:generate` after editing one)', async () => {
		const database = await server.empty();
		const generated = await server.withClient(database, async client => generateExpectedSchema(client, loadMigrations()));
		expect(readFileSync(expectedSchemaFile(), 'utf8')).toBe(serialiseExpectedSchema(generated));
	});

	it('names every object the spec names, and attributes each to the migration that makes it', () => {
		const expected = loadExpectedSchema();
		for (const key of [
			'table:session_lifecycle',
			'table:system_metrics',
			'table:performance_logs',
			'table:analytics_aggregations',
			'column:sessions.last_activity_at',
			'column:context_history.content_size_bytes',
			'index:idx_system_metrics_labels',
			'trigger:sessions.log_session_lifecycle',
			'trigger:sessions.update_sessions_last_activity',
			'trigger:sessions.update_sessions_updated_at',
			'view:session_monitoring_view',
			'view:performance_monitoring_view',
			'function:lifecycle_wake_listeners(p_event_id uuid, p_session_id uuid, p_event_type text)',
			'trigger:sessions.zz_handoff_top_session_update',
			'trigger:session_lifecycle.handoff_top_lifecycle_row',
			'trigger:context_history.session_child_write',
			'notification:lifecycle_notify_gate',
		]) {
			expect(expected.objects[key], key).toBeDefined();
		}

		expect(expected.objects['index:idx_system_metrics_labels']?.properties['definition']).toContain('USING gin (labels)');
		// every object is attributed to a migration; one changed again later carries its earlier state
		const attributed = new Set(expected.migrations.flatMap(m => m.objects));
		const ours = Object.entries(expected.objects).filter(([, o]) => o.name !== 'handoff_top_migrations' && o.relation !== 'handoff_top_migrations');
		for (const [key] of ours) expect(attributed.has(key), key).toBe(true);
		const first = expected.migrations.find(m => m.version === 1)!;
		expect(first.objects).toContain('function:log_session_lifecycle()');
		expect(first.states?.['function:log_session_lifecycle()']).toBeTruthy();
		expect(first.states?.['function:log_session_lifecycle()']).not.toEqual(expected.objects['function:log_session_lifecycle()']);
		// made by 002, dropped by 006: 002 keeps its state, 006 lists the drop
		expect(expected.migrations.find(m => m.version === 2)!.states?.['function:record_session_activity()']).toBeTruthy();
		expect(expected.migrations.find(m => m.version === 6)!.objects).toContain('function:record_session_activity()');
		expect(expected.objects['function:record_session_activity()']).toBeUndefined();
		expect(expected.migrations.map(m => m.file)).toEqual(loadMigrations().map(m => m.file));
		expect(expected.migrations.find(m => m.version === 3)?.objects).toContain('column:session_lifecycle.xid');
	});
});

describe('the catalog description', () => {
	it('is the same for a migrated base database as for a fresh installation, and independent of creation order', async () => {
		const base = await server.base();
		await server.withClient(base, async client => {
			const {applyMigrations} = await import('../../source/db/migrations.js');
			await applyMigrations(client);
		});
		const [fresh, migrated] = await Promise.all([
			server.migrated().then(async name => server.withClient(name, inspectSchema)),
			server.withClient(base, inspectSchema),
		]);
		expect(diffSchemas(fresh, migrated)).toEqual([]);
	});

	it('normalises view definitions as PostgreSQL 15 and 18 print them', () => {
		const pg15 = ' SELECT pl.operation,\n    count(*) AS total_calls\n   FROM performance_logs pl\n  GROUP BY pl.operation;';
		const pg18 = ' SELECT operation,\n    count(*) AS total_calls\n   FROM performance_logs pl\n  GROUP BY operation;';
		expect(normaliseViewDefinition(pg15)).toBe(normaliseViewDefinition(pg18));
		expect(normaliseViewDefinition(pg18)).not.toBe(normaliseViewDefinition(pg18.replace('count(*)', 'sum(1)')));
	});
});

describe('diffSchemas', () => {
	const table = (name: string): SchemaDescription[string] => ({type: 'table', name, properties: {kind: 'table', persistence: 'logged'}});
	const column = (relation: string, name: string, type: string): SchemaDescription[string] => ({
		type: 'column',
		name: `${relation}.${name}`,
		relation,
		properties: {type, nullable: true, default: null, identity: null, generated: null},
	});
	const expected: SchemaDescription = {
		'table:a': table('a'),
		'column:a.x': column('a', 'x', 'integer'),
		'table:b': table('b'),
		'column:b.y': column('b', 'y', 'text'),
	};

	it('reports typed differences: missing, extra and changed, each with expected and actual', () => {
		const actual: SchemaDescription = {
			'table:a': table('a'),
			'column:a.x': column('a', 'x', 'bigint'),
			'column:a.z': column('a', 'z', 'text'),
			'table:other': table('other'),
			'column:other.q': column('other', 'q', 'text'),
		};
		expect(diffSchemas(expected, actual)).toEqual([
			{kind: 'changed', objectType: 'column', name: 'a.x', severity: 'error', expected: {type: 'integer'}, actual: {type: 'bigint'}},
			{kind: 'missing', objectType: 'table', name: 'b', severity: 'error', expected: expected['table:b']!.properties, actual: null},
			{kind: 'extra', objectType: 'column', name: 'a.z', severity: 'warning', expected: null, actual: actual['column:a.z']!.properties},
			{kind: 'extra', objectType: 'table', name: 'other', severity: 'info', expected: null, actual: actual['table:other']!.properties},
		]);
	});

	it('counts only errors and warnings as drift', () => {
		expect(isDrift(diffSchemas(expected, {...expected, 'table:other': table('other')}))).toBe(false);
		expect(isDrift(diffSchemas(expected, {...expected, 'column:a.z': column('a', 'z', 'text')}))).toBe(true);
	});
});
