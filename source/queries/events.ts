// Event rates for the header, and the newest events (snapshot).
//   eventCounts(client, {sinceMinutes}) → EventCounts
//   recentEvents(client, {limit}) → LifecycleEvent[] newest first
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';
import {lifecycleEventRow, type LifecycleEvent, type LifecycleEventType} from '../feed/eventFeed.js';
import {lifecycleEventTypes} from './common.js';

const countRow = z.object({
	minute: z.date(),
	event_type: z.enum(lifecycleEventTypes),
	events: z.coerce.number(),
});

export type EventCounts = {
	sinceMinutes: number;
	/** Events per type over the whole span (every type present, 0 when none). */
	totals: Record<LifecycleEventType, number>;
	/** totals / sinceMinutes. */
	perMinute: Record<LifecycleEventType, number>;
	/** Minutes that had events, oldest first. */
	minutes: Array<{minute: Date; counts: Partial<Record<LifecycleEventType, number>>}>;
};

export async function eventCounts(client: pg.ClientBase, options: {sinceMinutes: number}): Promise<EventCounts> {
	const sinceMinutes = z.number().int().min(1).max(7 * 24 * 60).parse(options.sinceMinutes);
	const {rows} = await client.query(sqlText('queries/event_counts'), [sinceMinutes]);
	const zero = () => Object.fromEntries(lifecycleEventTypes.map(type => [type, 0])) as Record<LifecycleEventType, number>;
	const totals = zero();
	const minutes = new Map<number, EventCounts['minutes'][number]>();
	for (const raw of rows) {
		const row = countRow.parse(raw);
		totals[row.event_type] += row.events;
		let entry = minutes.get(row.minute.getTime());
		if (!entry) {
			entry = {minute: row.minute, counts: {}};
			minutes.set(row.minute.getTime(), entry);
		}

		entry.counts[row.event_type] = row.events;
	}

	const perMinute = zero();
	for (const type of lifecycleEventTypes) perMinute[type] = Math.round((totals[type] / sinceMinutes) * 100) / 100;
	return {sinceMinutes, totals, perMinute, minutes: [...minutes.values()]};
}

export async function recentEvents(client: pg.ClientBase, options: {limit: number}): Promise<LifecycleEvent[]> {
	const limit = z.number().int().min(1).max(1000).parse(options.limit);
	const {rows} = await client.query(sqlText('queries/recent_lifecycle_events'), [limit]);
	return rows.map(row => lifecycleEventRow.parse(row));
}
