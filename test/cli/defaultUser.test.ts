// libpq's defaults with USER unset (containers, cron): the user name is PGUSER,
// else the operating system user, never none; a URI without a user name too.
import {userInfo} from 'node:os';
import {describe, expect, it} from 'vitest';
import {resolveConnection} from '../../source/db/connection.js';

const osUser = userInfo().username;

describe('default user name', () => {
	it('without PGUSER and USER: the operating system user, and the database of that name', () => {
		const {config} = resolveConnection({purpose: 'monitor', env: {PGHOST: 'db.example'}});
		expect(config.user).toBe(osUser);
		expect(config.database).toBe(osUser);
	});

	it('PGUSER wins, as in libpq', () => {
		expect(resolveConnection({purpose: 'monitor', env: {PGUSER: 'alice'}}).config.user).toBe('alice');
	});

	it('a DSN without a user name connects as PGUSER, else the operating system user; one with a user keeps it', () => {
		const bare = new URL(resolveConnection({purpose: 'monitor', dsn: 'postgres://db.example:5432/handoff', env: {}}).config.connectionString!);
		expect(decodeURIComponent(bare.username)).toBe(osUser);
		const viaEnv = new URL(resolveConnection({purpose: 'monitor', dsn: 'postgres://db.example/handoff', env: {PGUSER: 'bob'}}).config.connectionString!);
		expect(viaEnv.username).toBe('bob');
		const given = new URL(resolveConnection({purpose: 'monitor', dsn: 'postgres://carol@db.example/handoff', env: {PGUSER: 'bob'}}).config.connectionString!);
		expect(given.username).toBe('carol');
	});
});
