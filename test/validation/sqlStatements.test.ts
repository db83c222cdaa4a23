import {describe, expect, it} from 'vitest';
import {loadMigrations} from '../../source/db/migrations.js';
import {splitStatements, statementAt} from '../../source/db/sqlStatements.js';

describe('splitStatements', () => {
	it('keeps dollar-quoted bodies, quoted semicolons and comments inside their statement', () => {
		const sql = [
			'-- header; with a semicolon',
			"INSERT INTO t VALUES ('a;b', \"x;y\");",
			'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$',
			'BEGIN RETURN 1; END;',
			'$body$;',
			'/* block; comment */ SELECT $$;$$, E\'it\\\'s;\';',
			'',
		].join('\n');
		const statements = splitStatements(sql);
		expect(statements.map(s => [s.line, s.text.split('\n')[0]])).toEqual([
			[2, "INSERT INTO t VALUES ('a;b', \"x;y\");"],
			[3, 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$'],
			[6, "/* block; comment */ SELECT $$;$$, E'it\\'s;';"],
		]);
		expect(statementAt(sql, sql.indexOf('RETURN 1') + 1)?.line).toBe(3);
	});

	it('splits every bundled migration into statements that start with a keyword', () => {
		let total = 0;
		for (const migration of loadMigrations()) {
			const statements = splitStatements(migration.sql);
			expect(statements.length, migration.file).toBeGreaterThan(0);
			total += statements.length;
			for (const statement of statements) expect(statement.text, migration.file).toMatch(/^(CREATE|ALTER|INSERT|DO|GRANT|COMMENT|DROP|UPDATE|SELECT|REVOKE)\b/);
		}
		// a splitter that left whole files together would give one per file (008 is one statement)
		expect(total).toBeGreaterThan(100);
	});
});
