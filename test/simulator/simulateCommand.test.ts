// `handoff-top simulate` as a command: it checks its flags, refuses a database
// without the handoff schema (exit 6, naming setup and migrate), and loads one
// that has it.
import {describe, expect, it} from 'vitest';
import {run} from '../../source/commands/simulate.js';
import {CliError, exitCodes} from '../../source/exitCodes.js';
import {useTestDatabase} from '../helpers/database.js';

const empty = useTestDatabase({schema: false});
const ready = useTestDatabase();

async function failure(flags: Record<string, unknown>): Promise<CliError> {
	const error = await run({args: [], flags}).then(
		() => undefined,
		(error: unknown) => error,
	);
	expect(error).toBeInstanceOf(CliError);
	return error as CliError;
}

describe('handoff-top simulate', () => {
	it('refuses a database without the handoff schema, and says what to run', async () => {
		const error = await failure({dsn: empty().url, rate: 10});
		expect(error.exitCode).toBe(exitCodes.schemaMissing);
		expect(error.message).toContain('no handoff schema in this database: run `handoff-top setup`');
		expect(error.message).toContain('handoff-top setup');
		expect(error.message).toContain('handoff-top migrate');
		const [{tables}] = await empty().query("SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public'");
		expect(tables, 'it created nothing').toBe(0);
	});

	it('refuses a bad --rate or --duration with a usage error', async () => {
		for (const [flags, text] of [
			[{rate: 0}, '--rate must be more than 0'],
			[{rate: 100_000}, '--rate must be at most 5000'],
			[{rate: Number.NaN}, '--rate must be a number'],
			[{duration: -1}, '--duration must be more than 0'],
		] as const) {
			const error = await failure({dsn: ready().url, ...flags});
			expect(error.exitCode).toBe(exitCodes.usage);
			expect(error.message).toContain(text);
		}
	});

	it('simulates a handoff server for --duration at about --rate', async () => {
		const code = await run({args: [], flags: {dsn: ready().url, rate: 200, duration: 1.5}});
		expect(code).toBe(exitCodes.ok);
		const [row] = await ready().query(
			`SELECT (SELECT count(*) FROM performance_logs WHERE operation <> 'lifecycle_sweep')::int AS operations,
			        (SELECT count(*) FROM sessions)::int AS sessions,
			        (SELECT count(*) FROM system_metrics)::int AS metrics,
			        (SELECT count(*) FROM retention_policies WHERE name = 'demo')::int AS policy`,
		);
		expect(row.sessions).toBeGreaterThan(0);
		expect(row.metrics).toBeGreaterThan(0);
		expect(row.policy).toBe(1);
		// 200/s for 1.5 s, Poisson arrivals: well within 150..450.
		expect(row.operations).toBeGreaterThan(150);
		expect(row.operations).toBeLessThan(450);
	});
});
