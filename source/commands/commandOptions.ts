// Flag checking shared by tail, snapshot and the monitor: zod schemas, and
// one usage line naming the flag when a value is wrong.
import {z} from 'zod';
import {CliError, exitCodes} from '../exitCodes.js';
import {chartWindowNames, type ChartWindow} from '../queries/common.js';
import {parseSize} from '../queries/storage.js';

const relative = /^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)$/;
const unitMs: Record<string, number> = {s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000};

/** '10m', '2h', '30s', '1d' before now, or an ISO 8601 time. */
export function parseSince(text: string, now = Date.now()): Date | undefined {
	const trimmed = text.trim();
	const match = relative.exec(trimmed);
	if (match) return new Date(now - Number(match[1]) * unitMs[match[2]!]!);
	if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return undefined;
	const date = new Date(trimmed);
	return Number.isNaN(date.getTime()) ? undefined : date;
}

export const sinceSchema = z.string().transform((value, context) => {
	const date = parseSince(value);
	if (!date) {
		context.addIssue({code: 'custom', message: "must be an ISO time (2026-01-31T09:00:00Z) or a duration before now ('10m', '2h', '1d')"});
		return z.NEVER;
	}

	return date;
});

export const dsnSchema = z.string().min(1, 'must not be empty');

/** --threshold: the success rate (%) under which an operation stands out. */
export const thresholdFlag = z
	.number({error: 'must be a success rate in percent'})
	.refine(Number.isFinite, 'must be a success rate in percent')
	.min(0, 'must be between 0 and 100')
	.max(100, 'must be between 0 and 100')
	.default(95);

/** --window: the span of the charts. */
export const windowFlag = z
	.enum(chartWindowNames as [ChartWindow, ...ChartWindow[]], {error: 'must be 1h, 6h or 24h'})
	.default('1h');

/** --storage-limit: the size the database must stay under ('100GB'; 1024-based). */
export const storageLimitFlag = z
	.string({error: "must be a size such as '100GB'"})
	.optional()
	.transform((value, context) => {
		if (value === undefined) return undefined;
		const bytes = parseSize(value);
		if (bytes === undefined) {
			context.addIssue({code: 'custom', message: "must be a size such as '100GB', '500MB' or '2TB'"});
			return z.NEVER;
		}

		return bytes;
	});

/** Parses flags with a schema; a failure is one usage line naming the flag. */
export function checkFlags<S extends z.ZodType>(schema: S, flags: Record<string, unknown>): z.output<S> {
	const result = schema.safeParse(flags);
	if (result.success) return result.data;
	const issue = result.error.issues[0]!;
	const key = issue.path.length > 0 ? String(issue.path[0]) : undefined;
	const flag = key ? `--${key.replaceAll(/[A-Z]/g, c => `-${c.toLowerCase()}`)}` : 'options';
	const got = key ? flags[key] : undefined;
	throw new CliError(`${flag} ${issue.message}${got === undefined ? '' : ` (got '${String(got)}')`}`, exitCodes.usage);
}
