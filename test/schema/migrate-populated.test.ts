// Migration 001 (and the rest) applied to an existing handoff database full of
// rows: every existing row is left exactly as it was.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {applyMigrations} from '../../source/db/migrations.js';
import {packageRoot} from '../../source/paths.js';
import {useTestDatabase} from '../helpers/database.js';

const db = useTestDatabase({schema: false});
const baseColumns: Record<string, string> = {
	sessions: 'id, session_key, agent_from, agent_to, status, created_at, updated_at, expires_at, metadata',
	context_history: 'id, session_id, sequence_number, context_type, content, metadata, created_at',
	codebase_snapshots: 'id, session_id, file_path, content_hash, content, analysis_result, created_at',
	handoff_requests: 'id, session_id, requesting_agent, target_agent, request_type, request_data, status, created_at, completed_at',
};

async function dump(): Promise<Record<string, string[]>> {
	const out: Record<string, string[]> = {};
	for (const [table, columns] of Object.entries(baseColumns)) {
		const rows = await db().query(`SELECT row_to_json(t)::text AS r FROM (SELECT ${columns} FROM ${table} ORDER BY id) t`);
		out[table] = rows.map(row => row.r);
	}

	return out;
}

describe('migrating a populated pre-enhancement database', () => {
	it('keeps every existing row untouched and the legacy sessions usable', async () => {
		await db().query(readFileSync(path.join(packageRoot(), 'sql/reference/base_schema.sql'), 'utf8'));
		await db().query(`
			INSERT INTO sessions (session_key, agent_from, agent_to, status, created_at, updated_at, expires_at, metadata)
			SELECT 'legacy-' || g, 'agent-' || (g % 7), CASE WHEN g % 3 = 0 THEN NULL ELSE 'agent-x' END,
			       (ARRAY['active', 'completed', 'expired'])[1 + g % 3],
			       now() - g * interval '1 hour', now() - g * interval '30 minutes',
			       CASE WHEN g % 2 = 0 THEN now() + interval '1 day' END, jsonb_build_object('n', g)
			  FROM generate_series(1, 500) g;
			INSERT INTO context_history (session_id, sequence_number, context_type, content, created_at)
			SELECT s.id, g, (ARRAY['message', 'file', 'tool_call', 'system'])[1 + g % 4], repeat('c', g * 10), s.created_at
			  FROM sessions s, generate_series(1, 4) g;
			INSERT INTO codebase_snapshots (session_id, file_path, content_hash, content)
			SELECT id, 'src/' || session_key || '.ts', md5(session_key), 'code' FROM sessions WHERE random() < 0.5;
			INSERT INTO handoff_requests (session_id, requesting_agent, target_agent, status, completed_at)
			SELECT id, agent_from, agent_to, 'completed', now() FROM sessions WHERE status = 'completed';
		`);
		const before = await dump();
		expect(before['context_history']).toHaveLength(2000);

		const client = await db().pool.connect();
		try {
			const applied = await applyMigrations(client);
			expect(applied[0]!.file).toBe('001_enhanced_monitoring_schema.sql');
		} finally {
			client.release();
		}

		expect(await dump()).toEqual(before);
		// 009: the index repeating the UNIQUE constraint on session_key is gone, the constraint answers look-ups
		const keyIndexes = await db().query(`SELECT indexname FROM pg_indexes WHERE tablename = 'sessions' AND indexdef LIKE '%(session_key)'`);
		expect(keyIndexes.map(row => row.indexname)).toEqual(['sessions_session_key_key']);

		const [legacy] = await db().query(`SELECT last_activity_at, is_dormant, retention_policy, hours_since_activity, context_count
			FROM handoff_top_session_view WHERE session_key = 'legacy-10'`);
		expect(legacy).toMatchObject({last_activity_at: null, is_dormant: false, retention_policy: 'standard', context_count: '4'});
		expect(Number(legacy.hours_since_activity)).toBeCloseTo(5, 1); // falls back to updated_at
		const [{n}] = await db().query(`SELECT count(*)::int AS n FROM context_history WHERE content_size_bytes IS NOT NULL`);
		expect(n).toBe(0); // no backfill: rows not rewritten
		// the legacy rows take part in the lifecycle from now on
		const preview = await db().query('SELECT action, count(*)::int AS n FROM lifecycle_sweep(true) GROUP BY action');
		expect(preview.length).toBeGreaterThan(0);
	});

	it('drops the base indexes that repeat another index of their table (009), and only those, and holds their names (012)', async () => {
		const indexes = async (): Promise<Record<string, string>> =>
			Object.fromEntries(
				(
					await db().query(
						`SELECT indexname, regexp_replace(indexdef, '^.* USING ', '') AS def FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('sessions', 'context_history')`,
					)
				).map(row => [row.indexname as string, row.def as string]),
			);
		// the previous test left a migrated database; start again from the base schema
		await db().query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
		await db().query(readFileSync(path.join(packageRoot(), 'sql/reference/base_schema.sql'), 'utf8'));
		// without its UNIQUE constraint, idx_sessions_session_key is the only index on session_key
		await db().query('ALTER TABLE sessions DROP CONSTRAINT sessions_session_key_key');
		const client = await db().pool.connect();
		try {
			await applyMigrations(client);
		} finally {
			client.release();
		}

		const after = await indexes();
		// the only index on session_key stays an index; the repeated ones are gone, their names held (012)
		// by relations that cost a write nothing, sequences (016), so that the handoff server's start does
		// not create them again
		expect(after.idx_sessions_session_key).toBe('btree (session_key)');
		const kinds = Object.fromEntries(
			(
				await db().query(
					`SELECT relname, relkind::text AS kind FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)`,
					[['idx_sessions_status', 'idx_context_history_session_id', 'idx_context_history_sequence']],
				)
			).map(row => [row.relname as string, row.kind as string]),
		);
		// idx_sessions_status_last_activity leads with status; the UNIQUE (session_id, sequence_number) index
		// answers by session
		expect(kinds).toEqual({idx_sessions_status: 'S', idx_context_history_session_id: 'S', idx_context_history_sequence: 'S'});
		for (const name of Object.keys(kinds)) expect(after).not.toHaveProperty(name);
		expect(after).not.toHaveProperty('idx_context_history_session_sequence');
		expect(after).toHaveProperty('idx_sessions_status_last_activity');
		expect(after).toHaveProperty('context_history_session_id_sequence_number_key');
	});
});
