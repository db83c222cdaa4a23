// tail and snapshot with event types other than the spec's six, as real
// writers log them (the handoff server: 'expiration_scheduled'; anyone:
// 'custom_audit'): shown under their own name with the neutral symbol, passed
// through as they are in --json.
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {useTestDatabase} from '../helpers/database.js';
import {acceptAnyEventType, expirationScheduled, insertLifecycleEvent, insertSession} from '../helpers/fixtures.js';
import {buildBinary, exited, runBinary, start, until} from './binary.js';

const db = useTestDatabase();
let bin: string;
let remove: () => void;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
	await acceptAnyEventType(db().pool);
	const scheduled = await insertSession(db().pool, {sessionKey: 'open-scheduled', agentFrom: 'claude', agentTo: 'gpt'});
	await insertLifecycleEvent(db().pool, scheduled.id, 'expiration_scheduled', expirationScheduled);
	const audited = await insertSession(db().pool, {sessionKey: 'open-audited', agentFrom: 'gemini', agentTo: null});
	await insertLifecycleEvent(db().pool, audited.id, 'custom_audit', {actor: 'ops'});
});
afterAll(() => remove?.());

const jsonLines = (text: string) =>
	text
		.split('\n')
		.filter(line => line !== '')
		.map(line => JSON.parse(line) as Record<string, any>);

describe('event types of other writers', () => {
	it('tail prints them under their own name with the neutral symbol, and live ones too', async () => {
		const tail = start(bin, ['tail', '--since', '10m', '--dsn', db().url]);
		await until(() => tail.output.stdout.includes('custom_audit'), 10_000, 'replayed events');
		const later = await insertSession(db().pool, {sessionKey: 'open-later', agentFrom: 'claude'});
		await insertLifecycleEvent(db().pool, later.id, 'expiration_scheduled', expirationScheduled);
		await until(() => /expiration_scheduled {2}open-later/.test(tail.output.stdout), 10_000, 'a live event');
		tail.kill('SIGTERM');
		expect(await exited(tail)).toBe(0);
		const lines = tail.output.stdout.split('\n');
		const scheduled = lines.find(l => l.includes('open-scheduled') && l.includes('expiration_scheduled'));
		expect(scheduled).toMatch(/^\d{4}-\S+Z {2}· expiration_scheduled {2}open-scheduled {2}claude→gpt {2}.*expires_at=2031-01-02T03:04:05\.000Z/);
		expect(scheduled).toMatch(/ttl_hours=24/);
		expect(lines.find(l => l.includes('custom_audit'))).toMatch(/^\S+Z {2}· custom_audit\s{4,}open-audited\s{2,}gemini\s{2,}actor=ops\b/);
		expect(lines.find(l => l.includes('open-scheduled') && l.includes('created'))).toMatch(/ {2}\+ created {9}open-scheduled {2}/);
		expect(tail.output.stderr).not.toMatch(/disconnected|error/i);
	});

	it('tail --json passes the type and its data through', async () => {
		const tail = start(bin, ['tail', '--json', '--since', '10m', '--dsn', db().url]);
		await until(() => tail.output.stdout.includes('custom_audit'), 10_000, 'replayed events');
		tail.kill('SIGTERM');
		expect(await exited(tail)).toBe(0);
		const events = jsonLines(tail.output.stdout);
		expect(events.find(e => e['session_key'] === 'open-scheduled' && e['event_type'] !== 'created')).toMatchObject({
			event_type: 'expiration_scheduled',
			event_data: expirationScheduled,
			agent_from: 'claude',
		});
		expect(events.find(e => e['session_key'] === 'open-audited' && e['event_type'] !== 'created')).toMatchObject({event_type: 'custom_audit', event_data: {actor: 'ops'}});
	});

	it('snapshot shows them in the events, the rates and the sessions’ last event, within 80 columns', async () => {
		const {code, stdout, stderr} = await runBinary(bin, ['snapshot', '--dsn', db().url]);
		expect(stderr).toBe('');
		expect(code).toBe(0);
		for (const line of stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
		expect(stdout).toMatch(/^\s*\S+\s+· expiration_scheduled\s+open-later\s+claude→gpt\s+ttl_hours=24/m);
		expect(stdout).toMatch(/^\s*\S+\s+· custom_audit\s+open-audited\s+gemini\s+actor=ops/m);
		expect(stdout).toMatch(/per minute over the last 15 min: .*expiration_scheduled 0\.1/s);
		expect(stdout).toMatch(/custom_audit 0\.1/);
		expect(stdout).toMatch(/^open-audited\s+active\s+gemini\s.*\scustom_audit$/m);
		expect(stdout).toMatch(/^open-scheduled\s+active\s+claude→gpt\s.*\sexpiration_scheduled$/m);
	});

	it('snapshot --json passes them through', async () => {
		const {code, stdout} = await runBinary(bin, ['snapshot', '--json', '--dsn', db().url]);
		expect(code).toBe(0);
		const doc = JSON.parse(stdout) as Record<string, any>;
		expect(doc['events'].map((e: any) => e.event_type)).toEqual(expect.arrayContaining(['expiration_scheduled', 'custom_audit', 'created']));
		expect(doc['event_counts'].totals).toMatchObject({expiration_scheduled: 2, custom_audit: 1, created: 3, expired: 0});
		expect(doc['sessions'].rows.find((s: any) => s.session_key === 'open-audited').last_lifecycle_event).toBe('custom_audit');
	});
});
