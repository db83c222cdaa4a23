// A database of its own for each test file, on the run's server.
import {randomBytes} from 'node:crypto';
import pg from 'pg';
import {afterAll, beforeAll, inject} from 'vitest';
import {applyMigrations} from '../../source/db/migrations.js';

export type TestDatabase = {
	name: string;
	url: string;
	adminUrl: string;
	pool: pg.Pool;
	query<Row extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<Row[]>;
	/** A dedicated client; closed by the caller. */
	connect(options?: Partial<pg.ClientConfig>): Promise<pg.Client>;
};

export function databaseUrl(adminUrl: string, database: string): string {
	const url = new URL(adminUrl);
	url.pathname = `/${database}`;
	return url.toString();
}

async function withAdmin<T>(adminUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({connectionString: adminUrl});
	await client.connect();
	try {
		return await run(client);
	} finally {
		await client.end();
	}
}

export async function createDatabase(adminUrl: string, prefix = 'ht_test'): Promise<string> {
	const name = `${prefix}_${randomBytes(5).toString('hex')}`;
	await withAdmin(adminUrl, client => client.query(`CREATE DATABASE ${name}`));
	return name;
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
	await withAdmin(adminUrl, client => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Registers beforeAll/afterAll hooks; the returned getter works inside tests.
 * `schema: true` (default) applies every migration; `false` leaves it empty. */
export function useTestDatabase(options: {schema?: boolean} = {}): () => TestDatabase {
	let database: TestDatabase | undefined;
	beforeAll(async () => {
		const adminUrl = inject('adminUrl');
		const name = await createDatabase(adminUrl);
		const url = databaseUrl(adminUrl, name);
		const pool = new pg.Pool({connectionString: url, max: 8});
		pool.on('error', () => {});
		if (options.schema ?? true) {
			const client = await pool.connect();
			try {
				await applyMigrations(client);
			} finally {
				client.release();
			}
		}

		database = {
			name,
			url,
			adminUrl,
			pool,
			async query(text, values) {
				return (await pool.query(text, values as any[])).rows;
			},
			async connect(extra = {}) {
				const client = new pg.Client({connectionString: url, ...extra});
				client.on('error', () => {});
				await client.connect();
				return client;
			},
		};
	});
	afterAll(async () => {
		if (!database) return;
		await database.pool.end();
		await dropDatabase(database.adminUrl, database.name);
	});
	return () => {
		if (!database) throw new Error('test database not ready (used outside a test?)');
		return database;
	};
}
