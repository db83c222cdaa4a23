// One line of text per lifecycle event (tail, snapshot): time, event type
// with a symbol (reads without colour), session key, agents, and the useful
// part of event_data. And the JSON form tail --json prints. The text forms
// are inert (source/text/inert.ts): a session key, agent or event_data value
// cannot act on the terminal; the JSON form is exact.
import {inert} from '../text/inert.js';
import type {LifecycleEvent, LifecycleEventType} from './eventFeed.js';

export const eventSymbols: Record<LifecycleEventType, string> = {
	created: '+',
	status_changed: '~',
	dormant: 'z',
	reactivated: '^',
	expired: 'x',
	archived: '#',
};

/** ANSI colours that read on dark and light backgrounds (no white/black/yellow). */
const eventColours: Record<LifecycleEventType, number> = {
	created: 32,
	status_changed: 36,
	dormant: 35,
	reactivated: 34,
	expired: 31,
	archived: 90,
};

function scalar(value: unknown): string | undefined {
	if (value === null || value === undefined || value === '') return undefined;
	if (typeof value === 'object') return undefined;
	return String(value);
}

/** What a person wants to know from event_data, by event type (inert text). */
export function eventSummary(event: LifecycleEvent): string {
	const d = event.eventData;
	const parts: string[] = [];
	const add = (text: string | undefined) => {
		if (text) parts.push(text);
	};

	switch (event.eventType) {
		case 'created':
			add(scalar(d['status']) && `status=${scalar(d['status'])}`);
			add(scalar(d['retention_policy']) && `policy=${scalar(d['retention_policy'])}`);
			break;
		case 'status_changed':
		case 'expired':
			add(`${scalar(d['old_status']) ?? '?'}→${scalar(d['new_status']) ?? '?'}`);
			break;
		case 'dormant':
			add(scalar(d['inactive_hours']) && `idle ${scalar(d['inactive_hours'])} h`);
			break;
		case 'reactivated':
			add(scalar(d['status']) && `status=${scalar(d['status'])}`);
			break;
		case 'archived':
			add(scalar(d['previous_state']) && `was ${scalar(d['previous_state'])}`);
			break;
	}

	const reason = scalar(d['reason']);
	if (reason && reason !== 'application') add(`by ${reason}`);
	return inert(parts.join(' '));
}

/** 'from→to' (inert text). */
export function agents(event: Pick<LifecycleEvent, 'agentFrom' | 'agentTo'>): string {
	if (!event.agentFrom) return '-';
	return inert(event.agentTo ? `${event.agentFrom}→${event.agentTo}` : event.agentFrom);
}

/** tail's text line. Every part from the database is inert; the only escape codes are the type's own colour. */
export function formatEventLine(event: LifecycleEvent, options: {color?: boolean} = {}): string {
	const type = `${eventSymbols[event.eventType]} ${event.eventType.padEnd(14)}`;
	const shown = options.color ? `\u001B[${eventColours[event.eventType]}m${type}\u001B[39m` : type;
	const parts = [event.createdAt.toISOString(), shown, inert(event.sessionKey ?? event.sessionId), agents(event)];
	const summary = eventSummary(event);
	if (summary) parts.push(summary);
	return parts.join('  ');
}

/** tail --json: one object per event. */
export function eventJson(event: LifecycleEvent): Record<string, unknown> {
	return {
		id: event.id,
		seq: event.seq,
		xid: event.xid,
		session_id: event.sessionId,
		session_key: event.sessionKey,
		agent_from: event.agentFrom,
		agent_to: event.agentTo,
		event_type: event.eventType,
		event_data: event.eventData,
		created_at: event.createdAt.toISOString(),
	};
}
