// Databases and roles made on the run's server for the schema-tool tests:
// copies of a migrated template (CREATE DATABASE ... TEMPLATE is much faster
// than migrating each), base databases, throw-away roles. All dropped at the end.
import {randomBytes} from 'node:crypto';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {afterAll, inject} from 'vitest';
import {applyMigrations, loadMigrations} from '../../source/db/migrations.js';
import {packageRoot} from '../../source/paths.js';
import {databaseUrl} from './database.js';

export type ServerDatabases = {
	adminUrl: string;
	url(database: string, credentials?: {user: string; password?: string}): string;
	/** A database with every migration applied (or the first `upTo`). */
	migrated(upTo?: number): Promise<string>;
	/** An empty database. */
	empty(): Promise<string>;
	/** The pre-enhancement handoff schema, with `rows` sessions in it. */
	base(): Promise<string>;
	/** A login role with this password, dropped at the end. */
	role(password: string): Promise<string>;
	/** A query as the server's superuser, on `database` (default: the admin one). */
	query<Row extends pg.QueryResultRow = any>(text: string, values?: unknown[], database?: string): Promise<Row[]>;
	/** A client on `database` (as the superuser, or with `credentials`) for the length of `run`. */
	withClient<T>(database: string, run: (client: pg.Client) => Promise<T>, credentials?: {user: string; password?: string}): Promise<T>;
	/** Remembers a name (database or role) created by the code under test, to drop it at the end. */
	track(kind: 'database' | 'role', name: string): void;
};

const unique = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

export function useServerDatabases(): ServerDatabases {
	const adminUrl = inject('adminUrl');
	const databases = new Set<string>();
	const roles = new Set<string>();
	const templates = new Map<number, string>();

	async function query<Row extends pg.QueryResultRow = any>(text: string, values: unknown[] = [], database?: string) {
		const client = new pg.Client({connectionString: database ? databaseUrl(adminUrl, database) : adminUrl});
		client.on('error', () => {});
		await client.connect();
		try {
			return (await client.query<Row>(text, values as any[])).rows;
		} finally {
			await client.end();
		}
	}

	async function empty(): Promise<string> {
		const name = unique('ht_tool');
		await query(`CREATE DATABASE ${name}`);
		databases.add(name);
		return name;
	}

	async function template(upTo: number): Promise<string> {
		let name = templates.get(upTo);
		if (name) return name;
		name = await empty();
		const client = new pg.Client({connectionString: databaseUrl(adminUrl, name)});
		await client.connect();
		try {
			await applyMigrations(client, {migrations: loadMigrations().slice(0, upTo)});
		} finally {
			await client.end();
		}

		templates.set(upTo, name);
		return name;
	}

	afterAll(async () => {
		for (const name of databases) await query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
		for (const role of roles) await query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
	});

	return {
		adminUrl,
		url(database, credentials) {
			const url = new URL(databaseUrl(adminUrl, database));
			if (credentials) {
				url.username = credentials.user;
				url.password = credentials.password ?? '';
			}

			return url.toString();
		},
		async migrated(upTo = loadMigrations().length) {
			const source = await template(upTo);
			const name = unique('ht_tool');
			await query(`CREATE DATABASE ${name} TEMPLATE ${source}`);
			databases.add(name);
			return name;
		},
		empty,
		async base() {
			const name = await empty();
			await query(readFileSync(path.join(packageRoot(), 'sql', 'reference', 'base_schema.sql'), 'utf8'), [], name);
			return name;
		},
		async role(password) {
			const name = unique('ht_role');
			await query(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
			roles.add(name);
			return name;
		},
		query,
		async withClient(database, run, credentials) {
			const client = new pg.Client({connectionString: this.url(database, credentials)});
			client.on('error', () => {});
			await client.connect();
			try {
				return await run(client);
			} finally {
				await client.end();
			}
		},
		track(kind, name) {
			(kind === 'database' ? databases : roles).add(name);
		},
	};
}
