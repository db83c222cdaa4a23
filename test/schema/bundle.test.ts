import {execFileSync, spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {loadMigrations} from '../../source/db/migrations.js';
import {buildSchemaBundle} from '../../source/db/schemaBundle.js';
import {packageRoot} from '../../source/paths.js';
import {useTestDatabase} from '../helpers/database.js';

const schemaFile = path.join(packageRoot(), 'sql', 'schema.sql');

describe('sql/schema.sql, the one-file install', () => {
	it('is exactly the migrations, in order (run `npm run schema:generate` after editing one)', () => {
		expect(readFileSync(schemaFile, 'utf8')).toBe(buildSchemaBundle());
		const files = loadMigrations().map(m => m.file);
		expect(files[0]).toBe('001_enhanced_monitoring_schema.sql');
		expect(files).toEqual([...files].sort());
	});

	const hasPsql = spawnSync('psql', ['--version']).status === 0;
	const db = useTestDatabase({schema: false});
	it.runIf(hasPsql)('installs the complete schema with psql -f and records the migration history', async () => {
		execFileSync('psql', [db().url, '-q', '-f', schemaFile], {stdio: 'pipe'});
		const history = await db().query('SELECT version, checksum FROM handoff_top_migrations ORDER BY version');
		expect(history.map(row => [row.version, row.checksum.trim()])).toEqual(
			loadMigrations().map(m => [m.version, m.checksum]),
		);
		const [{count}] = await db().query(
			"SELECT count(*)::int AS count FROM pg_views WHERE viewname IN ('session_monitoring_view', 'performance_monitoring_view')",
		);
		expect(count).toBe(2);
	});
});
