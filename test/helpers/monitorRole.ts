// A least-privilege monitor role (as setup --create-monitor-role makes it) on
// a test database for the length of `run`, which gets its connection URL.
import {randomBytes} from 'node:crypto';
import {ensureMonitorRole} from '../../source/db/monitorRole.js';
import type {TestDatabase} from './database.js';

export async function withMonitorRole<T>(db: TestDatabase, run: (url: string) => Promise<T>): Promise<T> {
	const role = `ht_mon_${randomBytes(4).toString('hex')}`;
	const owner = await db.connect();
	try {
		await ensureMonitorRole(owner, {role, password: 'pw', database: db.name, schema: 'public'});
	} finally {
		await owner.end();
	}

	try {
		const url = new URL(db.url);
		url.username = role;
		url.password = 'pw';
		return await run(url.toString());
	} finally {
		await db.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => {});
	}
}
