// The monitor's options, checked with zod before Ink and React load, so a bad
// flag answers at once with a usage error.
import {z} from 'zod';
import {dsnSchema, sinceSchema, storageLimitFlag, thresholdFlag, windowFlag} from '../commands/commandOptions.js';
import {CliError, exitCodes} from '../exitCodes.js';
import {chartWindowNames, type ChartWindow} from '../queries/common.js';

export const screenNames = ['events', 'sessions', 'dormant', 'performance', 'metrics', 'schema', 'storage'] as const;
export type ScreenName = (typeof screenNames)[number];
export const chartWindows = chartWindowNames;
export type {ChartWindow};

/** 'events', '1', 'perf', 'Sessions' → a screen name; undefined when nothing matches. */
export function findScreen(text: string): ScreenName | undefined {
	const wanted = text.trim().toLowerCase();
	if (wanted === '') return undefined;
	if (/^[1-7]$/.test(wanted)) return screenNames[Number(wanted) - 1];
	return screenNames.find(name => name === wanted) ?? screenNames.find(name => name.startsWith(wanted));
}

const monitorOptionsSchema = z.object({
	dsn: dsnSchema.optional(),
	interval: z
		.number({error: 'must be a number of seconds'})
		.refine(Number.isFinite, 'must be a number of seconds')
		.min(0.5, 'must be at least 0.5 seconds')
		.max(3600, 'must be at most 3600 seconds')
		.default(2),
	write: z.boolean().default(false),
	color: z.boolean().default(true),
	/** --no-bell: no terminal bell when an alarm starts. */
	bell: z.boolean().default(true),
	threshold: thresholdFlag,
	window: windowFlag,
	/** Live events from this time on (else the newest screenful before start, then live). */
	since: sinceSchema.optional(),
	storageLimit: storageLimitFlag,
	screen: z
		.string()
		.optional()
		.transform((value, context) => {
			if (value === undefined) return undefined;
			const screen = findScreen(value);
			if (!screen) {
				context.addIssue({code: 'custom', message: `must be 1-7 or one of ${screenNames.join(', ')}`});
				return z.NEVER;
			}

			return screen;
		}),
});

export type MonitorOptionsInput = z.input<typeof monitorOptionsSchema> & Record<string, unknown>;
export type MonitorOptions = z.output<typeof monitorOptionsSchema>;

/** The checked options, or a usage error naming the flag. Unknown keys are ignored. */
export function parseMonitorOptions(input: Record<string, unknown>): MonitorOptions {
	const result = monitorOptionsSchema.safeParse(input);
	if (result.success) return result.data;
	const issue = result.error.issues[0]!;
	const flag = issue.path.length > 0 ? `--${String(issue.path[0]).replaceAll(/[A-Z]/g, c => `-${c.toLowerCase()}`)}` : 'options';
	const got = issue.path.length > 0 ? input[String(issue.path[0])] : undefined;
	throw new CliError(`${flag} ${issue.message}${got === undefined ? '' : ` (got '${String(got)}')`}`, exitCodes.usage);
}

/** NO_COLOR (any non-empty value, https://no-color.org) wins over everything. */
export function colorEnabled(option: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
	return option && !env['NO_COLOR'];
}
