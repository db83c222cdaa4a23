// The flags of `simulate` and `demo`, checked with zod: a bad value is a usage
// error that names the flag.
import {z} from 'zod';
import {CliError, exitCodes} from '../exitCodes.js';

const seconds = (what: string) =>
	z.number({error: `must be a number of ${what}`}).refine(Number.isFinite, `must be a number of ${what}`);

const schema = z.object({
	dsn: z.string().min(1, 'must not be empty').optional(),
	rate: seconds('operations per second')
		.refine(value => value > 0, 'must be more than 0 operations per second')
		.refine(value => value <= 5000, 'must be at most 5000 operations per second')
		.default(20),
	duration: seconds('seconds').refine(value => value > 0, 'must be more than 0 seconds').optional(),
	keep: z.boolean().default(false),
	interval: z.number().optional(),
	color: z.boolean().default(true),
});

export type SimulatorFlags = z.output<typeof schema>;

/** The checked flags, or a usage error naming the flag. Flags the command does
 * not use are ignored, as every command does with the CLI's shared flag set. */
export function parseSimulatorFlags(flags: Record<string, unknown>): SimulatorFlags {
	const result = schema.safeParse(flags);
	if (result.success) return result.data;
	const issue = result.error.issues[0]!;
	const name = String(issue.path[0] ?? 'options');
	const got = flags[name];
	throw new CliError(`--${name} ${issue.message}${got === undefined ? '' : ` (got '${String(got)}')`}`, exitCodes.usage);
}
