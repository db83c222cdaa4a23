// What the exporter reads at each scrape (source/exporter), each an answer
// from one statement with its rows checked here.
//   sessionsByStatus(client, counting?) → {rows: [{status, sessions, archived, dormant}], sampledShare}
//   lifecycleCountsSince(client, horizon | null) → {horizon, counts: [{eventType, events}]}
//   operationCallsSince(client, from | null, settleSeconds) → {nextFrom, rows: [{operation, latencyBucket, calls, failures, sumMs}]}
//   feedHeldBack(client) → {xmin, waiting, xactAgeMs}
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';
import {eventTypeSchema} from '../feed/eventFeed.js';

const sessionsRow = z
	.object({status: z.string(), sessions: z.coerce.number(), archived: z.coerce.number(), dormant: z.coerce.number()})
	.transform(row => ({status: row.status, sessions: row.sessions, archived: row.archived, dormant: row.dormant}));
export type SessionsByStatus = Array<z.output<typeof sessionsRow>>;

/**
 * How the session gauges are counted. Up to exactUpTo live rows (the statistics' count) every session is counted;
 * above, a block sample of about sampleRows rows (the same blocks each time, by seed) is scaled to the live rows, so a
 * scrape reads about sampleRows rows of sessions whatever its size.
 */
export const sessionCounting = {exactUpTo: 10_000, sampleRows: 10_000, seed: 15} as const;
export type SessionCounting = {exactUpTo: number; sampleRows: number; seed: number};

/** Sessions per status; sampledShare 1: counted exactly, below 1: estimates from that share of the table's blocks. */
export type SessionCounts = {rows: SessionsByStatus; sampledShare: number; liveRows: number};

const estimateRow = z.object({live_rows: z.coerce.number()});

export async function sessionsByStatus(client: pg.ClientBase, counting: SessionCounting = sessionCounting): Promise<SessionCounts> {
	const estimate = estimateRow.parse((await client.query(sqlText('queries/exporter_sessions_estimate'))).rows[0]);
	const exact = async (): Promise<SessionCounts> => {
		const rows = (await client.query(sqlText('queries/exporter_sessions'))).rows.map(row => sessionsRow.parse(row));
		return {rows, sampledShare: 1, liveRows: rows.reduce((sum, row) => sum + row.sessions, 0)};
	};

	if (estimate.live_rows <= counting.exactUpTo) return exact();
	const percent = Math.min(100, (100 * counting.sampleRows) / estimate.live_rows);
	const sample = (await client.query(sqlText('queries/exporter_sessions_sample'), [percent, counting.seed])).rows.map(row => sessionsRow.parse(row));
	const sampled = sample.reduce((sum, row) => sum + row.sessions, 0);
	// a sample that found no live row (a table of dead rows, say): count them instead of guessing
	if (sampled === 0) return exact();
	const scale = estimate.live_rows / sampled;
	return {
		rows: sample.map(row => ({status: row.status, sessions: Math.round(row.sessions * scale), archived: Math.round(row.archived * scale), dormant: Math.round(row.dormant * scale)})),
		sampledShare: percent / 100,
		liveRows: estimate.live_rows,
	};
}

const countRow = z.object({horizon: z.string(), event_type: eventTypeSchema.nullable(), events: z.coerce.number().nullable()});

/** Events per type of the transactions that finished between `horizon` (null: the beginning) and the new horizon. */
export async function lifecycleCountsSince(
	client: pg.ClientBase,
	horizon: string | null,
): Promise<{horizon: string; counts: Array<{eventType: string; events: number}>}> {
	const {rows} = await client.query(sqlText('queries/exporter_event_counts'), [horizon]);
	const parsed = rows.map(row => countRow.parse(row));
	const first = parsed[0];
	if (!first) throw new Error('exporter_event_counts returned no row');
	const counts = parsed.flatMap(row => (row.event_type === null || row.events === null ? [] : [{eventType: row.event_type, events: row.events}]));
	return {horizon: first.horizon, counts};
}

const callRow = z.object({
	next_from: z.date(),
	operation: z.string().nullable(),
	latency_bucket: z.number().int().nullable(),
	calls: z.coerce.number().nullable(),
	failures: z.coerce.number().nullable(),
	sum_ms: z.coerce.number().nullable(),
});

export type OperationCalls = {operation: string; latencyBucket: number; calls: number; failures: number; sumMs: number};

/** Calls logged in [from, now - settleSeconds) per operation and latency bucket; from null: none, only the edge. */
export async function operationCallsSince(
	client: pg.ClientBase,
	from: Date | null,
	settleSeconds: number,
): Promise<{nextFrom: Date; rows: OperationCalls[]}> {
	const {rows} = await client.query(sqlText('queries/exporter_operation_calls'), [from, settleSeconds]);
	const parsed = rows.map(row => callRow.parse(row));
	const first = parsed[0];
	if (!first) throw new Error('exporter_operation_calls returned no row');
	return {
		nextFrom: first.next_from,
		rows: parsed.flatMap(row =>
			row.operation === null || row.latency_bucket === null
				? []
				: [{operation: row.operation, latencyBucket: row.latency_bucket, calls: row.calls ?? 0, failures: row.failures ?? 0, sumMs: row.sum_ms ?? 0}],
		),
	};
}

const lagRow = z.object({xmin: z.string(), waiting: z.boolean(), xact_age_ms: z.coerce.number().nullable()});

/** The feed's own lag check (sql/queries/lifecycle_feed_lag.sql): are committed events held back by a running transaction? */
export async function feedHeldBack(client: pg.ClientBase): Promise<{xmin: string; waiting: boolean; xactAgeMs: number | null}> {
	const {rows} = await client.query(sqlText('queries/lifecycle_feed_lag'));
	const row = lagRow.parse(rows[0]);
	return {xmin: row.xmin, waiting: row.waiting, xactAgeMs: row.xact_age_ms};
}

const serverRow = z.object({in_recovery: z.boolean(), next_xid: z.string()});
const systemRow = z.object({system_identifier: z.string()});

/** The server's next transaction id, and its cluster's system identifier (undefined when the role may not read it). */
export async function serverIdentity(client: pg.ClientBase): Promise<{nextXid: string; systemIdentifier: string | undefined}> {
	const server = serverRow.parse((await client.query(sqlText('queries/lifecycle_feed_server'))).rows[0]);
	let systemIdentifier: string | undefined;
	try {
		systemIdentifier = systemRow.parse((await client.query(sqlText('queries/lifecycle_feed_system'))).rows[0]).system_identifier;
	} catch (error) {
		if ((error as {code?: unknown})?.code !== '42501') throw error;
	}

	return {nextXid: server.next_xid, systemIdentifier};
}
