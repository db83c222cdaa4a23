// Event rates for the header, and the newest events (snapshot).
//   eventCounts(client, {sinceMinutes}) → EventCounts (one query over the window)
//   new EventCountsTracker().next(client, {sinceMinutes}) → EventCounts, reading only what finished since its last call
//   recentEvents(client, {limit}) → LifecycleEvent[] newest first
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';
import {eventTypeSchema, lifecycleEventRow, type LifecycleEvent, type SpecEventType} from '../feed/eventFeed.js';
import {lifecycleEventTypes} from './common.js';

const countRow = z.object({
	minute: z.date(),
	event_type: eventTypeSchema,
	events: z.coerce.number(),
});

/** Counts by event type: the spec's six always (0 when none), any other type that occurred under its own name. */
export type EventTypeCounts = Record<SpecEventType, number> & Record<string, number>;

export type EventCounts = {
	sinceMinutes: number;
	/** Events per type over the whole span. */
	totals: EventTypeCounts;
	/** totals / sinceMinutes. */
	perMinute: EventTypeCounts;
	/** Minutes that had events, oldest first. */
	minutes: Array<{minute: Date; counts: Partial<Record<string, number>>}>;
};

/** A count window in minutes: up to a week. */
const windowMinutes = z.number().int().min(1).max(7 * 24 * 60);

export async function eventCounts(client: pg.ClientBase, options: {sinceMinutes: number}): Promise<EventCounts> {
	const sinceMinutes = windowMinutes.parse(options.sinceMinutes);
	const {rows} = await client.query(sqlText('queries/event_counts'), [sinceMinutes]);
	const minutes = new Map<number, EventCounts['minutes'][number]>();
	for (const raw of rows) {
		const row = countRow.parse(raw);
		let entry = minutes.get(row.minute.getTime());
		if (!entry) {
			entry = {minute: row.minute, counts: noCounts()};
			minutes.set(row.minute.getTime(), entry);
		}

		entry.counts[row.event_type] = row.events;
	}

	return summarize(sinceMinutes, [...minutes.values()]);
}

/** The live header's window: event rates over the last this many minutes. */
export const headerEventMinutes = 5;

const sinceRow = z.object({
	horizon: z.string(),
	server_now: z.date(),
	final: z.boolean().nullable(),
	second: z.date().nullable(),
	event_type: eventTypeSchema.nullable(),
	events: z.coerce.number().nullable(),
});

type Counts = Partial<Record<string, number>>;
/** Keyed by event type, which can be any name a writer chose ('constructor' too): no prototype to read through. */
const noCounts = (): Counts => Object.create(null) as Counts;

/**
 * The header's event counts, kept between refreshes: each call reads only the
 * lifecycle rows of transactions that finished since the previous one (the
 * (xid, seq) index), so a refresh costs what arrived since, not the window -
 * at 1 000 events/s a 5-minute window is 300 000 rows. Same answer as
 * eventCounts() (to the second at the window's edge). Call reset() when the
 * connection may have changed servers; a failed call leaves the state as it was.
 *
 * A writing transaction left open holds the horizon back, and each call then
 * recounts everything since it began. Once the horizon has not moved for
 * longer than the window (or rereadAfterMs), calls count the window afresh
 * instead, as eventCounts() does, until it moves again.
 */
export class EventCountsTracker {
	#horizon: string | null = null;
	#windowMinutes = 0;
	/** server time (ms) of the last call, and of the last call that moved the horizon */
	#lastAt = 0;
	#movedAt = 0;
	readonly #rereadAfterMs: number | undefined;
	/** final counts per second (epoch ms) */
	readonly #seconds = new Map<number, Counts>();

	constructor(options: {rereadAfterMs?: number} = {}) {
		this.#rereadAfterMs = options.rereadAfterMs;
	}

	reset(): void {
		this.#horizon = null;
		this.#seconds.clear();
	}

	async next(client: pg.ClientBase, options: {sinceMinutes: number}): Promise<EventCounts> {
		const sinceMinutes = windowMinutes.parse(options.sinceMinutes);
		if (sinceMinutes !== this.#windowMinutes) this.reset();
		const stuck = this.#horizon !== null && this.#lastAt - this.#movedAt > (this.#rereadAfterMs ?? sinceMinutes * 60_000);
		const from = stuck ? null : this.#horizon;
		const {rows} = await client.query(sqlText('queries/event_counts_since'), [from, sinceMinutes]);
		const parsed = rows.map(row => sinceRow.parse(row));
		const first = parsed[0];
		if (!first) throw new Error('event_counts_since returned no row');
		const add = (into: Map<number, Counts>, at: number, type: string, events: number) => {
			const counts = into.get(at) ?? noCounts();
			counts[type] = (counts[type] ?? 0) + events;
			into.set(at, counts);
		};

		// counted afresh: the whole window is in this answer
		if (from === null) this.#seconds.clear();
		const provisional = new Map<number, Counts>();
		for (const row of parsed) {
			if (!row.second || !row.event_type || row.events === null) continue;
			add(row.final ? this.#seconds : provisional, row.second.getTime(), row.event_type, row.events);
		}

		const now = first.server_now.getTime();
		if (first.horizon !== this.#horizon) this.#movedAt = now;
		this.#lastAt = now;
		this.#horizon = first.horizon;
		this.#windowMinutes = sinceMinutes;
		const windowStart = now - sinceMinutes * 60_000;
		for (const at of this.#seconds.keys()) if (at < windowStart) this.#seconds.delete(at);

		const byMinute = new Map<number, Counts>();
		for (const source of [this.#seconds, provisional]) {
			for (const [at, counts] of source) {
				if (at < windowStart) continue;
				for (const [type, events] of Object.entries(counts) as Array<[string, number]>) add(byMinute, Math.floor(at / 60_000) * 60_000, type, events);
			}
		}

		return summarize(
			sinceMinutes,
			[...byMinute.entries()].sort(([a], [b]) => a - b).map(([at, counts]) => ({minute: new Date(at), counts})),
		);
	}
}

function summarize(sinceMinutes: number, minutes: EventCounts['minutes']): EventCounts {
	const zero = () => Object.assign(noCounts(), Object.fromEntries(lifecycleEventTypes.map(type => [type, 0]))) as EventTypeCounts;
	const totals = zero();
	for (const {counts} of minutes) for (const [type, events] of Object.entries(counts)) totals[type] = (totals[type] ?? 0) + (events ?? 0);
	const perMinute = zero();
	for (const [type, total] of Object.entries(totals)) perMinute[type] = Math.round((total / sinceMinutes) * 100) / 100;
	return {sinceMinutes, totals, perMinute, minutes};
}

export async function recentEvents(client: pg.ClientBase, options: {limit: number}): Promise<LifecycleEvent[]> {
	const limit = z.number().int().min(1).max(1000).parse(options.limit);
	const {rows} = await client.query(sqlText('queries/recent_lifecycle_events'), [limit]);
	return rows.map(row => lifecycleEventRow.parse(row));
}
