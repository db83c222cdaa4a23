import {describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {createMonitorDatabase, MonitorUnavailableError} from '../../source/monitor/monitorDatabase.js';
import {useTestDatabase} from '../helpers/database.js';

const db = useTestDatabase();

describe('monitor database', () => {
	it('keeps the connection after a statement error and reads on a read-only session', async () => {
		let connects = 0;
		const monitor = createMonitorDatabase({
			connect: async () => {
				connects++;
				return connect({dsn: db().url, purpose: 'monitor', component: '-monitor'});
			},
		});
		try {
			expect(await monitor.run(async c => (await c.query('SELECT 1 AS one')).rows[0].one)).toBe(1);
			await expect(monitor.run(async c => c.query('SELECT 1/0'))).rejects.toThrow(/division by zero/);
			await expect(monitor.run(async c => c.query('CREATE TABLE nope (id int)'))).rejects.toThrow(/read-only transaction/);
			expect(monitor.status().state).toBe('connected');
			expect(await monitor.run(async c => (await c.query('SELECT 2 AS two')).rows[0].two)).toBe(2);
			expect(connects).toBe(1);
		} finally {
			await monitor.close();
		}
	});

	it('marks itself disconnected, refuses at once while waiting, and retries with backoff', async () => {
		let connects = 0;
		let reachable = false;
		const monitor = createMonitorDatabase({
			connect: async () => {
				connects++;
				return connect({dsn: reachable ? db().url : 'postgres://postgres@127.0.0.1:1/postgres', purpose: 'monitor'});
			},
			backoff: {initialMs: 200, maxMs: 400},
		});
		const states: string[] = [];
		monitor.onStatus(s => states.push(s.state));
		try {
			await expect(monitor.run(async c => c.query('SELECT 1'))).rejects.toThrow(/connection refused/);
			expect(monitor.status()).toMatchObject({state: 'disconnected', retryInMs: 200});
			await expect(monitor.run(async c => c.query('SELECT 1'))).rejects.toBeInstanceOf(MonitorUnavailableError);
			expect(connects).toBe(1);
			await new Promise(resolve => setTimeout(resolve, 300)); // one background retry, still refused
			expect(connects).toBe(2);
			expect(monitor.status().retryInMs).toBe(400);
			reachable = true;
			await new Promise(resolve => setTimeout(resolve, 500));
			expect(monitor.status().state).toBe('connected');
			expect(await monitor.run(async c => (await c.query('SELECT 3 AS n')).rows[0].n)).toBe(3);
			expect(states).toContain('connecting');
		} finally {
			await monitor.close();
		}
	});
});
