// sql/schema.sql: every migration in one file for `psql -f`, recorded in the
// migration history exactly as `handoff-top migrate` would record it, so the
// two ways of installing end in the same database. A test keeps the file equal
// to what this function builds; `npm run schema:generate` rewrites it.
import {loadMigrations, type Migration} from './migrations.js';
import {sqlText} from './sqlText.js';

export function buildSchemaBundle(migrations: Migration[] = loadMigrations()): string {
	const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
	const parts = [
		'-- handoff-top: the complete schema in one file, for installing without Node:',
		'--   psql "$DATABASE_URL" -f sql/schema.sql',
		'-- Generated from sql/migrations by `npm run schema:generate`; do not edit by hand.',
		'-- Runs in one transaction; safe on an existing handoff database (base tables kept).',
		'\\set ON_ERROR_STOP on',
		'BEGIN;',
		'',
		sqlText('runner/create_tracking_table').trimEnd(),
	];
	for (const migration of migrations) {
		parts.push(
			'',
			`-- >>> ${migration.file}`,
			migration.sql.trimEnd(),
			`-- <<< ${migration.file}`,
			'INSERT INTO handoff_top_migrations (version, name, checksum, execution_ms, baselined)',
			`VALUES (${migration.version}, ${quote(migration.name)}, ${quote(migration.checksum)}, NULL, false)`,
			'ON CONFLICT (version) DO NOTHING;',
		);
	}

	parts.push('', 'COMMIT;', '');
	return parts.join('\n');
}
