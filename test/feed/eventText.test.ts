// tail's and snapshot's event text for every event type a writer logs, and
// for both shapes of event_data: handoff-top's triggers' and the handoff
// server's own trigger's (previous_state a boolean, final_status on archived).
import {describe, expect, it} from 'vitest';
import type {LifecycleEvent} from '../../source/feed/eventFeed.js';
import {eventJson, eventSummary, eventSymbol, formatEventLine, lineWidths} from '../../source/feed/eventText.js';

const event = (eventType: string, eventData: Record<string, unknown>): LifecycleEvent => ({
	id: '00000000-0000-4000-8000-000000000001',
	seq: '1',
	xid: '1001',
	sessionId: '10000000-0000-4000-8000-000000000001',
	sessionKey: 'text-1',
	agentFrom: 'claude',
	agentTo: 'gpt',
	eventType,
	eventData,
	createdAt: new Date('2026-11-26T10:00:00Z'),
});

describe('event text', () => {
	it('shows a type of a writer of its own under its name, with the neutral symbol, no colour, and what it said', () => {
		const scheduled = event('expiration_scheduled', {expires_at: '2031-01-02T03:04:05Z', ttl_hours: 24, reason: 'application'});
		expect(eventSymbol('expiration_scheduled')).toBe('·');
		expect(formatEventLine(scheduled)).toBe('2026-11-26T10:00:00.000Z  · expiration_scheduled  text-1  claude→gpt  expires_at=2031-01-02T03:04:05Z ttl_hours=24');
		expect(formatEventLine(scheduled, {color: true})).not.toContain('\u001B');
		expect(formatEventLine(event('custom_audit', {}), {color: true})).toBe('2026-11-26T10:00:00.000Z  · custom_audit    text-1  claude→gpt');
		expect(eventJson(scheduled)).toMatchObject({event_type: 'expiration_scheduled', event_data: {ttl_hours: 24}});
		// the spec's six keep theirs
		expect(formatEventLine(event('created', {status: 'active'}), {color: true})).toBe(
			'2026-11-26T10:00:00.000Z  \u001B[32m+ created       \u001B[39m  text-1  claude→gpt  status=active',
		);
	});

	it("lines up tail's text columns: each widens to the widest value seen so far", () => {
		const widths = lineWidths();
		const long = {...event('expiration_scheduled', {ttl_hours: 24}), sessionKey: 'a-much-longer-session-key', agentFrom: 'claude-sonnet-4-5', agentTo: 'gpt-5'};
		const lines = [event('created', {status: 'active'}), long, event('created', {status: 'active'}), event('dormant', {inactive_hours: 3})].map(e =>
			formatEventLine(e, {widths}),
		);
		// after the long one, the summaries of every line start in the same column
		const starts = lines.slice(1).map(line => line.search(/(ttl_hours|status|idle)/));
		expect(new Set(starts).size).toBe(1);
	});

	it('makes a hostile type inert in text', () => {
		expect(formatEventLine(event('x\u001B]0;owned\u0007', {}))).not.toMatch(/[\u0000-\u001F]/);
	});

	it("reads the handoff server's shapes of event_data as well as handoff-top's", () => {
		// archived: handoff-top's previous_state, the server trigger's final_status, its application row's previous_status
		expect(eventSummary(event('archived', {previous_state: 'dormant', status: 'completed'}))).toBe('was dormant');
		expect(eventSummary(event('archived', {archived_at: '2026-11-26T10:00:00Z', final_status: 'completed'}))).toBe('was completed');
		expect(eventSummary(event('archived', {archived_at: '2026-11-26T10:00:00Z', previous_status: 'active'}))).toBe('was active');
		expect(eventSummary(event('archived', {previous_state: false, final_status: 'active'}))).toBe('was active');
		expect(eventSummary(event('archived', {previous_state: true}))).toBe('was dormant');
		// dormant / reactivated: previous_state is a boolean there, never printed as one
		expect(eventSummary(event('dormant', {previous_state: false}))).toBe('');
		expect(eventSummary(event('dormant', {previous_state: false, inactive_hours: 3.5, reason: 'sweep'}))).toBe('idle 3h 30m by sweep');
		// the one human duration, as everywhere else ('3h', '2h 5m'), not '3 h'
		expect(eventSummary(event('dormant', {inactive_hours: 3}))).toBe('idle 3h');
		expect(eventSummary(event('dormant', {inactive_hours: '2.25'}))).toBe('idle 2h 15m');
		expect(eventSummary(event('dormant', {inactive_hours: 'lots'}))).toBe('idle=lots');
		expect(eventSummary(event('reactivated', {previous_state: true, status: 'active'}))).toBe('status=active');
		// expired: the server's own row says previous_status
		expect(eventSummary(event('expired', {old_status: 'active', new_status: 'expired'}))).toBe('active→expired');
		expect(eventSummary(event('expired', {previous_status: 'active', expired_at: '2026-11-26T10:00:00Z'}))).toBe('active→expired');
		// created by the server's trigger: agents and policy, no status
		expect(eventSummary(event('created', {agent_from: 'claude', agent_to: null, retention_policy: 'standard'}))).toBe('policy=standard');
	});
});
