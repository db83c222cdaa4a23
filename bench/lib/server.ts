// The server the benchmarks run on: an embedded PostgreSQL (default) or the
// one --dsn names; one database per configuration on it.
import {randomBytes} from 'node:crypto';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {runStartupDdl} from '../../test/helpers/realServer/startupDdl.js';
import {startEmbeddedServer} from '../../source/embedded/embeddedServer.js';
import {applyMigrations, loadMigrations} from '../../source/db/migrations.js';

export type BenchServer = {
	adminUrl: string;
	embedded: boolean;
	version: string;
	settings: Record<string, string>;
	stop(): Promise<void>;
};

/** Settings for the embedded server: durable commits (as production), room
 * for the dashboard data in memory, no checkpoints forced by bulk loads. */
const embeddedSettings = {
	shared_buffers: '1GB',
	max_wal_size: '8GB',
	max_connections: 200,
	work_mem: '16MB',
	maintenance_work_mem: '256MB',
};

export async function openServer(dsn: string | undefined, log: (line: string) => void): Promise<BenchServer> {
	let adminUrl = dsn;
	let stop = async () => {};
	if (!adminUrl) {
		log('starting embedded PostgreSQL');
		const server = await startEmbeddedServer({settings: embeddedSettings});
		adminUrl = server.url;
		stop = () => server.stop();
	}

	const version = await withClient(adminUrl, async c => (await c.query('SELECT version() AS v')).rows[0].v as string);
	const names = ['server_version', 'fsync', 'synchronous_commit', 'shared_buffers', 'work_mem', 'max_wal_size', 'jit', 'max_parallel_workers_per_gather'];
	const settings = await withClient(adminUrl, async c => {
		const {rows} = await c.query('SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)', [names]);
		return Object.fromEntries(rows.map(r => [r.name, r.unit && r.unit !== '' ? `${r.setting} ${r.unit}` : r.setting]));
	});
	return {adminUrl, embedded: !dsn, version, settings, stop};
}

export async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>, applicationName = 'bench'): Promise<T> {
	const client = new pg.Client({connectionString: url, application_name: applicationName});
	client.on('error', () => {});
	await client.connect();
	try {
		return await run(client);
	} finally {
		await client.end().catch(() => {});
	}
}

export function databaseUrl(adminUrl: string, database: string): string {
	const url = new URL(adminUrl);
	url.pathname = `/${database}`;
	return url.toString();
}

export async function createDatabase(adminUrl: string, prefix: string): Promise<{name: string; url: string}> {
	const name = `${prefix}_${randomBytes(3).toString('hex')}`;
	await withClient(adminUrl, c => c.query(`CREATE DATABASE ${name}`));
	return {name, url: databaseUrl(adminUrl, name)};
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
	await withClient(adminUrl, c => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {});
}

export type SchemaKind = 'base' | 'reference' | 'handoff-top' | 'handoff-top 001-005' | 'server' | 'handoff-top+server';

/** Installs a schema: the pre-enhancement base, base + the spec's reference
 * design, handoff-top's migrations (001..latest), or 001-005 only (before
 * 006 made the triggers lighter); the real handoff server's own schema as its
 * start-up DDL creates it, or handoff-top's with the server started on it
 * twice (the state a real database is in: the server re-creates its 29
 * indexes, triggers and views at every start). The start-up DDL is the test
 * fixtures' restatement of it (test/helpers/realServer/startupDdl.ts). */
export async function installSchema(url: string, kind: SchemaKind, root: string): Promise<void> {
	const file = (name: string) => readFileSync(path.join(root, 'sql', 'reference', name), 'utf8');
	await withClient(url, async c => {
		if (kind === 'handoff-top') {
			await applyMigrations(c);
			return;
		}

		if (kind === 'server' || kind === 'handoff-top+server') {
			if (kind === 'handoff-top+server') await applyMigrations(c);
			await runStartupDdl(c);
			await runStartupDdl(c);
			return;
		}

		if (kind === 'handoff-top 001-005') {
			await applyMigrations(c, {migrations: loadMigrations().filter(m => m.version <= 5)});
			return;
		}

		await c.query(file('base_schema.sql'));
		if (kind === 'reference') await c.query(file('reference_design.sql'));
	});
}
