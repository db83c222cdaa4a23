// The least-privilege role the monitor (and validate) can run as: SELECT on
// what they read, read-only and short timeouts as role settings. Creating it
// again changes nothing; a role that drifted is brought back and says what.
import {createHash, createHmac, pbkdf2Sync, timingSafeEqual} from 'node:crypto';
import type pg from 'pg';
import {z} from 'zod';
import {CliError, exitCodes} from '../exitCodes.js';
import {sqlText} from './sqlText.js';

/** What sql/setup/monitor_role_grants.sql grants SELECT on (some by column). */
export const monitorReads = [
	'analytics_aggregations',
	'codebase_snapshots',
	'handoff_requests',
	'handoff_top_migrations',
	'handoff_top_performance_view',
	'handoff_top_session_view',
	'lifecycle_notify_gate',
	'log_retention',
	'performance_logs',
	'performance_monitoring_view',
	'retention_policies',
	'session_lifecycle',
	'session_activity_counts',
	'session_activity_counts_state',
	'session_lifecycle_schedule',
	'session_monitoring_view',
	'sessions',
	'system_metrics',
];

export const monitorSettings = [
	'default_transaction_read_only=on',
	'statement_timeout=5s',
	'lock_timeout=1s',
	'idle_in_transaction_session_timeout=60s',
];

const stateRow = z.object({
	can_login: z.boolean(),
	superuser: z.boolean(),
	settings: z.array(z.string()),
	can_connect: z.boolean(),
	can_use_schema: z.boolean(),
	cannot_read: z.array(z.string()),
});

export type MonitorRoleResult = {role: string; created: boolean; changes: string[]};

const roleName = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

export function render(template: string, values: Record<string, string>): string {
	return template.replaceAll(/\{\{(\w+)\}\}/g, (_, name: string) => {
		const value = values[name];
		if (value === undefined) throw new Error(`template value '${name}' missing`);
		return value;
	});
}

/** Does the stored verifier (SCRAM-SHA-256 or md5) match `password`? */
export function passwordMatches(verifier: string, role: string, password: string): boolean {
	const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
	if (scram) {
		const salted = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(scram[2]!, 'base64'), Number(scram[1]), 32, 'sha256');
		const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
		const expected = Buffer.from(scram[3]!, 'base64');
		return expected.length === storedKey.length && timingSafeEqual(expected, storedKey);
	}

	if (verifier.startsWith('md5')) return verifier === `md5${createHash('md5').update(password + role).digest('hex')}`;
	return false;
}

/** True when the role's password is already `password`; false when it is not
 * or cannot be read (only superusers may read verifiers). */
async function hasPassword(client: pg.ClientBase, role: string, password: string): Promise<boolean> {
	try {
		const {rows} = await client.query<{verifier: string | null}>(sqlText('setup/role_password_verifier'), [role]);
		const verifier = rows[0]?.verifier;
		return typeof verifier === 'string' && passwordMatches(verifier, role, password);
	} catch {
		return false;
	}
}

async function readState(client: pg.ClientBase, role: string) {
	const {rows} = await client.query(sqlText('setup/monitor_role_state'), [role, monitorReads]);
	return rows[0] ? stateRow.parse(rows[0]) : undefined;
}

/** Creates or completes the monitor role in `client`'s database. */
export async function ensureMonitorRole(
	client: pg.ClientBase,
	options: {role: string; password?: string | undefined; database: string; schema: string},
): Promise<MonitorRoleResult> {
	const {role} = options;
	if (!roleName.test(role)) {
		throw new CliError(`--create-monitor-role: '${role}' is not a usable role name (letters, digits, _ $ -; at most 63)`, exitCodes.usage);
	}

	const values = {
		role: client.escapeIdentifier(role),
		database: client.escapeIdentifier(options.database),
		schema: client.escapeIdentifier(options.schema),
	};
	const changes: string[] = [];
	let state = await readState(client, role);
	const created = state === undefined;
	if (state?.superuser) {
		throw new CliError(`--create-monitor-role: role ${role} exists and is a superuser; choose another name`, exitCodes.usage);
	}

	if (!state) {
		await client.query(render(sqlText('setup/create_monitor_role'), values));
		changes.push('created the role');
		state = (await readState(client, role))!;
	}

	if (options.password !== undefined && (created || !(await hasPassword(client, role, options.password)))) {
		await client.query(render(sqlText('setup/monitor_role_password'), {...values, password: client.escapeLiteral(options.password)}));
		if (!created) changes.push('set its password');
	}

	const missingSettings = monitorSettings.filter(setting => !state.settings.includes(setting));
	if (missingSettings.length > 0) {
		await client.query(render(sqlText('setup/monitor_role_settings'), values));
		if (!created) changes.push(`set ${missingSettings.join(', ')}`);
	}

	if (!state.can_connect || !state.can_use_schema || state.cannot_read.length > 0) {
		await client.query(render(sqlText('setup/monitor_role_grants'), values));
		if (!created) {
			const granted = [...(state.can_connect ? [] : ['CONNECT']), ...(state.can_use_schema ? [] : ['USAGE on the schema'])];
			if (state.cannot_read.length > 0) granted.push(`SELECT on ${state.cannot_read.join(', ')}`);
			changes.push(`granted ${granted.join(', ')}`);
		}
	}

	if (created) changes.push(`granted SELECT on ${monitorReads.length} relations, set ${monitorSettings.join(', ')}`);
	return {role, created, changes};
}
