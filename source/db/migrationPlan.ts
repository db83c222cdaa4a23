// What migrate (and setup) will do, as data before action: the pending
// migrations in order, each either applied or - on a database that predates
// the tracking table and already has that migration's objects - baselined
// (recorded as applied without running it). planMigrations only reads;
// executePlan runs a plan, dryRunPlan runs it in a transaction it rolls back.
import type pg from 'pg';
import {CliError, exitCodes} from '../exitCodes.js';
import {
	acquireMigrationLock,
	applyMigrations,
	ChangedMigrationError,
	dryRunMigrations,
	DryRunRefusedError,
	MigrationError,
	MigrationLockedError,
	readMigrationStatus,
	type ApplyOptions,
	type DryRunResult,
	type Migration,
	type MigrationStatus,
} from './migrations.js';
import {sqlText} from './sqlText.js';
import {inspectSchema, type SchemaDescription} from './validation/catalog.js';
import type {ExpectedSchema} from './validation/expected.js';

export type PlanStep = {
	migration: Migration;
	action: 'apply' | 'baseline';
	/** Objects this migration creates or changes that the database lacks (or has differently). */
	creates: string[];
	/** Objects this migration drops that the database still has. */
	drops: string[];
	/** Objects already as this migration (or a later one) leaves them. */
	present: string[];
};

export type MigrationPlan = {
	status: MigrationStatus;
	steps: PlanStep[];
};

function same(a: unknown, b: unknown): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}

/** The objects `migration` is known to create, change or drop, when the
 * expected schema was generated from this very file (otherwise nothing can be
 * said), each with the states that count as "in place": as the migration
 * leaves it, or as any later migration does (the database may be further on). */
function objectsOf(migration: Migration, expected: ExpectedSchema): Array<[key: string, states: unknown[], drops: boolean]> | undefined {
	const index = expected.migrations.findIndex(m => m.version === migration.version && m.checksum === migration.checksum);
	if (index < 0) return undefined;
	const stateAfter = (step: ExpectedSchema['migrations'][number], key: string) =>
		step.states && key in step.states ? step.states[key] : (expected.objects[key] ?? null);
	const step = expected.migrations[index]!;
	return step.objects.map(key => [
		key,
		expected.migrations.slice(index).filter(later => later.objects.includes(key)).map(later => stateAfter(later, key)),
		stateAfter(step, key) === null,
	]);
}

export async function planMigrations(
	client: pg.ClientBase,
	migrations: Migration[],
	expected: ExpectedSchema,
	actual?: SchemaDescription,
): Promise<MigrationPlan> {
	const status = await readMigrationStatus(client, migrations);
	const live = actual ?? (await inspectSchema(client));
	// No history at all: whatever is already there was put there by hand or by
	// an older tool. Each leading migration whose objects are all in place, as
	// expected, is baselined; from the first that is not, migrations run.
	let baselining = !status.trackingTable || status.applied.length === 0;
	const steps: PlanStep[] = [];
	for (const migration of status.pending) {
		const objects = objectsOf(migration, expected);
		const creates: string[] = [];
		const drops: string[] = [];
		const present: string[] = [];
		for (const [key, states, dropped] of objects ?? []) {
			if (states.some(state => same(live[key] ?? null, state))) present.push(key);
			else if (dropped) drops.push(key);
			else creates.push(key);
		}

		const inPlace = objects !== undefined && objects.length > 0 && creates.length === 0 && drops.length === 0;
		if (!(baselining && inPlace)) baselining = false;
		steps.push({migration, action: baselining ? 'baseline' : 'apply', creates, drops, present});
	}

	return {status, steps};
}

/** One line for a statement in an error message. */
export function oneLine(text: string, max = 160): string {
	const flat = text.replaceAll(/\s+/g, ' ').trim();
	return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** applyMigrations' errors as the one-line CliErrors the user sees. */
export function describeMigrationError(error: unknown): unknown {
	if (error instanceof ChangedMigrationError) {
		const names = error.changed.map(c => `${c.migration.file} (applied ${c.applied.checksum.slice(0, 12)}, now ${c.migration.checksum.slice(0, 12)})`);
		return new CliError(
			`blocked: applied migration file changed since it was applied: ${names.join(', ')}; restore the file as applied (an applied migration is never re-run; put new changes in a new migration)`,
			exitCodes.migrationBlocked,
		);
	}

	if (error instanceof MigrationLockedError) {
		return new CliError('blocked: another handoff-top migrate is running on this database (run again when it has finished, or without --no-wait to wait for it)', exitCodes.migrationBlocked);
	}

	if (error instanceof DryRunRefusedError) {
		return new CliError(`dry run refused: ${error.message}; statement: ${oneLine(error.statement)}`, exitCodes.failure);
	}

	if (error instanceof MigrationError) {
		const {line, statement, serverMessage, code} = error.detail;
		const where = `${error.migration.file}${line ? ` line ${line}` : ''}`;
		const text = `migration ${where} failed and was rolled back (nothing of it applied): ${serverMessage}${statement ? `; statement: ${oneLine(statement)}` : ''}`;
		return new CliError(code === '42501' ? `permission denied: ${text}` : text, code === '42501' ? exitCodes.privilege : exitCodes.failure);
	}

	return error;
}

export type ExecuteEvents = {
	onWaiting?: () => void;
	onStart?: (step: PlanStep) => void;
	onApplied?: (step: PlanStep, ms: number) => void;
};

/** The runner's options for a plan made under the lock (the caller holds it):
 * its baselined steps, and the runner's events as the plan's steps. */
function planOptions(plan: MigrationPlan, migrations: Migration[], events: ExecuteEvents): ApplyOptions {
	const byVersion = new Map(plan.steps.map(step => [step.migration.version, step]));
	return {
		migrations,
		whenLocked: 'fail',
		baseline: plan.steps.filter(step => step.action === 'baseline').map(step => step.migration.version),
		onStart(migration) {
			const step = byVersion.get(migration.version);
			if (step) events.onStart?.(step);
		},
		onApplied(migration, ms) {
			const step = byVersion.get(migration.version);
			if (step) events.onApplied?.(step, ms);
		},
	};
}

/** Runs a plan made under the lock: baselined steps are only recorded. */
export async function executePlan(client: pg.ClientBase, plan: MigrationPlan, migrations: Migration[], events: ExecuteEvents = {}) {
	try {
		return await applyMigrations(client, planOptions(plan, migrations, events));
	} catch (error) {
		throw describeMigrationError(error);
	}
}

export type DryRun = DryRunResult & {plan: MigrationPlan};

/** The dry run of a plan made under the lock: every step run exactly as
 * executePlan runs it (baselined steps only recorded), in one transaction that
 * is rolled back. Stops at the first step that fails; see dryRunMigrations. */
export async function dryRunPlan(client: pg.ClientBase, plan: MigrationPlan, migrations: Migration[], events: ExecuteEvents = {}): Promise<DryRun> {
	try {
		return {...(await dryRunMigrations(client, planOptions(plan, migrations, events))), plan};
	} catch (error) {
		throw describeMigrationError(error);
	}
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** What a dry run that did not get through says: the same one line, and the
 * same exit code, as the real run that fails there (or, stopped by one of the
 * dry run's own limits, that it could not tell). */
export function describeDryRunFailure(dryRun: DryRun): CliError | undefined {
	const failed = dryRun.failed;
	if (!failed) return undefined;
	const {line, statement, serverMessage, code} = failed.detail;
	const where = `${failed.migration.file}${line ? ` line ${line}` : ''}`;
	const quoted = statement ? `; statement: ${oneLine(statement)}` : '';
	if (dryRun.stoppedBy) {
		const limit =
			dryRun.stoppedBy === 'lock_timeout'
				? `it waited longer than the dry run's lock_timeout (${seconds(dryRun.limits.lockTimeoutMs)}) for a lock another session holds; migrate would wait for it, holding the locks it has`
				: `it ran longer than the dry run's statement_timeout (${seconds(dryRun.limits.statementTimeoutMs)}); migrate has no timeout`;
		return new CliError(`dry run stopped at migration ${where}, nothing changed: ${limit}: ${serverMessage}${quoted}`, exitCodes.failure);
	}

	const before = dryRun.ran.length;
	const text = `dry run: migration ${where} would fail and be rolled back${
		before > 0 ? ` (the ${before} before it would stay applied)` : ''
	}; nothing changed: ${serverMessage}${quoted}`;
	return new CliError(code === '42501' ? `permission denied: ${text}` : text, code === '42501' ? exitCodes.privilege : exitCodes.failure);
}

/** Takes migrate's advisory lock: waits (calling onWaiting once) or fails. */
export async function lockForMigration(
	client: pg.ClientBase,
	options: {wait: boolean; onWaiting?: (holder: string) => void},
): Promise<void> {
	let told = false;
	try {
		await acquireMigrationLock(client, {
			whenLocked: options.wait ? 'wait' : 'fail',
			onWaiting() {
				if (told) return;
				told = true;
				void client
					.query(sqlText('migrate/lock_holder'))
					.then(({rows}) => {
						const holder = rows[0] as {pid: number; application_name: string} | undefined;
						options.onWaiting?.(holder ? `pid ${holder.pid}, ${holder.application_name || 'no application_name'}` : 'another session');
					})
					.catch(() => options.onWaiting?.('another session'));
			},
		});
	} catch (error) {
		throw describeMigrationError(error);
	}
}
