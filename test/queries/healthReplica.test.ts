// The health line's replication part on a private PostgreSQL 15 primary and
// its streaming replica (pg_basebackup -R): the primary shows its replica's
// replay lag, the standby how far behind its replay is.
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HealthTracker, healthText} from '../../source/queries/health.js';
import {replicaUnavailable, startPrimary, startStandby, until, type Cluster} from '../helpers/replica.js';

const unavailable = replicaUnavailable();
if (unavailable) console.warn(`skipping the replication health tests: ${unavailable}`);

let primary: (Cluster & {password: string}) | undefined;
let standby: Cluster | undefined;

beforeAll(async () => {
	if (unavailable) return;
	primary = await startPrimary();
	standby = await startStandby(primary);
}, 120_000);
afterAll(async () => {
	await standby?.destroy();
	await primary?.destroy();
}, 60_000);

async function health(cluster: Cluster) {
	const client = new pg.Client({connectionString: cluster.url()});
	await client.connect();
	try {
		return await new HealthTracker().next(client);
	} finally {
		await client.end();
	}
}

describe.skipIf(unavailable !== undefined)('replication lag (PostgreSQL 15 primary and standby)', () => {
	it('on the primary: the replica and its replay lag', async () => {
		await until(async () => (await health(primary!)).replication !== null, 20_000, 'the replica streaming');
		const shown = await health(primary!);
		expect(shown.replication).toMatchObject({role: 'primary', replicas: 1});
		expect(shown.replication!.lagMs).toBeGreaterThanOrEqual(0);
		expect(shown.replication!.lagMs).toBeLessThan(60_000);
		expect(healthText(shown, undefined, 120)).toMatch(/ · replica lag \d+s/);
	});

	it('on the standby: the replay delay since the last replayed transaction', async () => {
		await primary!.query('CREATE TABLE replay_probe (n int); INSERT INTO replay_probe VALUES (1)');
		await until(async () => (await health(standby!)).replication?.lagMs !== null, 20_000, 'a replayed transaction');
		const shown = await health(standby!);
		expect(shown.replication).toMatchObject({role: 'standby'});
		expect(shown.replication!.lagMs).toBeGreaterThanOrEqual(0);
		expect(healthText(shown, undefined, 80)).toMatch(/ · replay lag \d+/);
	});
});
