// One line of text per lifecycle event (tail, snapshot): time, event type
// with a symbol (reads without colour), session key, agents, and the useful
// part of event_data. And the JSON form tail --json prints. The text forms
// are inert (source/text/inert.ts): a session key, agent, event type or
// event_data value cannot act on the terminal; the JSON form is exact.
//
// The spec's six types have a symbol and a colour each; any other type a
// writer logs (the handoff server's 'expiration_scheduled') is shown under
// its own name with otherEventSymbol and no colour. event_data comes in two
// shapes: handoff-top's triggers' and the handoff server's own trigger's
// (previous_state a boolean on dormant/reactivated, final_status and
// archived_at on archived, previous_status on its application rows).
import {inert} from '../text/inert.js';
import {hours} from '../ui/format.js';
import {isSpecEventType, type LifecycleEvent, type SpecEventType} from './eventFeed.js';

export const eventSymbols: Record<SpecEventType, string> = {
	created: '+',
	status_changed: '~',
	dormant: 'z',
	reactivated: '^',
	expired: 'x',
	archived: '#',
};

/** Any other event type's symbol: neutral. */
export const otherEventSymbol = '·';

export function eventSymbol(type: string): string {
	return isSpecEventType(type) ? eventSymbols[type] : otherEventSymbol;
}

/** ANSI colours that read on dark and light backgrounds (no white/black/yellow). */
const eventColours: Record<SpecEventType, number> = {
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

/** A string value of event_data (a boolean or number is not one). */
function text(value: unknown): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What the session was before it was archived: handoff-top's previous_state ('dormant' or a status), else the server's final_status / previous_status. */
function archivedFrom(d: Record<string, unknown>): string | undefined {
	return text(d['previous_state']) ?? (d['previous_state'] === true ? 'dormant' : undefined) ?? text(d['final_status']) ?? text(d['previous_status']);
}

/** 'idle 3h 30m' in the one human duration (a value that is not a number as it came). */
function idleFor(inactiveHours: string | undefined): string | undefined {
	if (inactiveHours === undefined) return undefined;
	const value = Number(inactiveHours);
	return Number.isFinite(value) && inactiveHours.trim() !== '' ? `idle ${hours(value)}` : `idle=${inactiveHours}`;
}

/** What a person wants to know from event_data, by event type (inert text). */
export function eventSummary(event: Pick<LifecycleEvent, 'eventType' | 'eventData'>): string {
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
			add(`${scalar(d['old_status']) ?? '?'}→${scalar(d['new_status']) ?? '?'}`);
			break;
		case 'expired':
			// the server's own row says previous_status (and no new_status: it is 'expired')
			add(`${scalar(d['old_status']) ?? scalar(d['previous_status']) ?? '?'}→${scalar(d['new_status']) ?? 'expired'}`);
			break;
		case 'dormant':
			add(idleFor(scalar(d['inactive_hours'])));
			break;
		case 'reactivated':
			add(scalar(d['status']) && `status=${scalar(d['status'])}`);
			break;
		case 'archived': {
			const from = archivedFrom(d);
			add(from && `was ${from}`);
			break;
		}

		default:
			// a type of some writer's own: what it said, as key=value (the policy last, as policy=)
			for (const [key, value] of Object.entries(d)) if (key !== 'reason' && key !== 'retention_policy') add(scalar(value) && `${key}=${scalar(value)}`);
			add(scalar(d['retention_policy']) && `policy=${scalar(d['retention_policy'])}`);
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

/** Column widths of tail's lines: they only grow (up to a cap), so the lines of a stream line up as far as they can. */
export type LineWidths = {type: number; session: number; agents: number};

export function lineWidths(): LineWidths {
	return {type: 14, session: 0, agents: 0};
}

const widthCaps: LineWidths = {type: 24, session: 48, agents: 40};

/** tail's text line. Every part from the database is inert; the only escape codes are a spec type's own colour.
 * With `widths` (one per stream) the type, session and agents columns are padded to the widest seen so far. */
export function formatEventLine(event: LifecycleEvent, options: {color?: boolean; widths?: LineWidths} = {}): string {
	const widths = options.widths;
	const session = inert(event.sessionKey ?? event.sessionId);
	const who = agents(event);
	const typeText = inert(event.eventType);
	const summary = eventSummary(event);
	if (widths) {
		widths.type = Math.max(widths.type, Math.min(widthCaps.type, typeText.length));
		widths.session = Math.max(widths.session, Math.min(widthCaps.session, session.length));
		widths.agents = Math.max(widths.agents, Math.min(widthCaps.agents, who.length));
	}

	const type = `${eventSymbol(event.eventType)} ${typeText.padEnd(widths?.type ?? 14)}`;
	const shown = options.color && isSpecEventType(event.eventType) ? `\u001B[${eventColours[event.eventType]}m${type}\u001B[39m` : type;
	const parts = [event.createdAt.toISOString(), shown, session.padEnd(widths ? widths.session : 0), who.padEnd(widths && summary ? widths.agents : 0)];
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
