// simulate keeps going when its database restarts: it waits for it, as the
// monitor does, and carries on (it used to stop after 20 errors in a row).
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {applyMigrations} from '../../source/db/migrations.js';
import {startEmbeddedServer, type EmbeddedServer} from '../../source/embedded/embeddedServer.js';
import {prepareDatabase, Simulator} from '../../source/simulator/simulator.js';

let server: EmbeddedServer | undefined;

beforeAll(async () => {
	server = await startEmbeddedServer({settings: {fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 30}});
	const client = new pg.Client({connectionString: server.url});
	await client.connect();
	await applyMigrations(client);
	await prepareDatabase(client);
	await client.end();
}, 60_000);
afterAll(async () => server?.stop());

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
	const started = Date.now();
	while (!condition()) {
		if (Date.now() - started > timeoutMs) throw new Error(`${what} not met in ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

describe('simulate across a database restart', () => {
	it('waits while the server is down and carries on after it is back, with no workload error', async () => {
		const simulator = new Simulator({connection: {connectionString: server!.url}, rate: 100, seed: 7});
		const running = simulator.run();
		await until(() => simulator.stats.operations >= 50, 20_000, 'operations before the restart');
		await server!.restart();
		const after = simulator.stats.operations;
		await until(() => simulator.stats.reconnects >= 1 && simulator.stats.operations >= after + 50, 30_000, 'operations after the restart');
		simulator.halt();
		const stats = await running;
		expect(stats.reconnects).toBeGreaterThanOrEqual(1);
		expect(stats.errors).toBe(0);
	}, 90_000);
});
