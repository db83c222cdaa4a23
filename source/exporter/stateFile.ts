// --state FILE: the exporter's counters (per database name: the lifecycle
// horizon and totals, the calls edge and totals), so that a restarted exporter
// carries on where it stopped instead of counting again or from zero. Written
// whole to FILE.tmp and renamed over FILE (a crash leaves the old or the new
// file, never half of one). A database whose cluster changed is checked by
// the collector (system identifier, transaction ids).
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {CliError, exitCodes} from '../exitCodes.js';
import type {CounterState} from './databaseCollector.js';
import {latencyBoundsMs} from './latencyBuckets.js';

const count = z.number().int().min(0);
const operationTotals = z.object({
	calls: count,
	failures: count,
	sumMs: z.number().min(0),
	buckets: z.array(count).length(latencyBoundsMs.length + 1),
});
const counterState = z.object({
	systemIdentifier: z.string().optional(),
	horizon: z.string().regex(/^\d+$/).optional(),
	events: z.record(z.string(), count),
	callsFrom: z.iso.datetime().optional(),
	operations: z.record(z.string(), operationTotals),
});
const stateFile = z.object({version: z.literal(1), databases: z.record(z.string(), counterState)});

/** The saved counters by database name; none when the file does not exist yet. */
export function loadState(file: string): Record<string, CounterState> {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as {code?: string}).code === 'ENOENT') return {};
		throw new CliError(`--state ${file}: cannot read it: ${(error as Error).message}`, exitCodes.usage);
	}

	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		throw new CliError(`--state ${file}: not the exporter's state (not JSON); move it away to start counting afresh`, exitCodes.usage);
	}

	const parsed = stateFile.safeParse(json);
	if (!parsed.success) {
		throw new CliError(`--state ${file}: not the exporter's state (${parsed.error.issues[0]?.message ?? 'invalid'}); move it away to start counting afresh`, exitCodes.usage);
	}

	return parsed.data.databases as Record<string, CounterState>;
}

export function saveState(file: string, databases: Record<string, CounterState>): void {
	mkdirSync(path.dirname(path.resolve(file)), {recursive: true});
	const temporary = `${file}.tmp`;
	writeFileSync(temporary, `${JSON.stringify({version: 1, databases})}\n`);
	renameSync(temporary, file);
}
