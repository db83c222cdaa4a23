// Hostile strings in the database through the built binary's text outputs
// (snapshot, tail, validate, sweep, error lines): nothing a terminal would act
// on comes out, the hostile values show in their inert form, tables stay
// aligned; and each --json output carries the exact original strings.
import stringWidth from 'string-width';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {useTestDatabase} from '../helpers/database.js';
import {hostile, insertHostileBackground, insertHostileSessions, setTitle, shown, unsafe} from '../helpers/hostile.js';
import {insertSession} from '../helpers/fixtures.js';
import {buildBinary, exited, runBinary, start, until} from './binary.js';

const db = useTestDatabase();
/** A migration history row of a 'newer' handoff-top, named by someone hostile. */
const history = useTestDatabase();
/** A session the sweep is due to expire, and a trigger that refuses it quoting its key. */
const sweeping = useTestDatabase();
let bin: string;
let remove: () => void;
const boomKey = `boom-${setTitle}`;

beforeAll(async () => {
	({bin, remove} = await buildBinary());
	await insertHostileBackground(db().pool);
	await insertHostileSessions(db().pool);
	await insertHostileBackground(history().pool, {table: false, migration: true});
	await sweeping().query(`INSERT INTO retention_policies (name) VALUES ($1)`, [hostile.policy]);
	await insertSession(sweeping().pool, {sessionKey: boomKey, expiresAt: new Date(Date.now() - 60_000).toISOString(), retentionPolicy: hostile.policy});
	await sweeping().query(`CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
	                          BEGIN RAISE EXCEPTION 'refusing to touch %', NEW.session_key; END $$`);
	await sweeping().query(`CREATE TRIGGER refuse_boom BEFORE UPDATE ON sessions FOR EACH ROW WHEN (NEW.session_key LIKE 'boom%') EXECUTE FUNCTION refuse_boom()`);
}, 120_000);
afterAll(() => remove?.());

/** Every line: nothing unsafe, at most `width` columns. */
function expectInert(text: string, width = Number.POSITIVE_INFINITY) {
	for (const line of text.split('\n')) {
		expect(line, JSON.stringify(line)).not.toMatch(unsafe);
		expect(stringWidth(line), line).toBeLessThanOrEqual(width);
	}
}

describe('snapshot', () => {
	it('prints the hostile rows inert, every table aligned within 80 columns', async () => {
		const {code, stdout, stderr} = await runBinary(bin, ['snapshot', '--dsn', db().url]);
		expect({code, stderr}).toEqual({code: 0, stderr: ''});
		expectInert(stdout, 80);
		const lines = stdout.split('\n');
		/** The line after the first that contains `text`. */
		const after = (text: string) => lines[lines.findIndex(line => line.includes(text)) + 1];
		const column = (line: string | undefined, text: string) => [...(line ?? '')].join('').indexOf(text);
		// live events: the hostile rows, the plain rows after them intact, the columns in place
		const title = lines.find(line => line.includes('+ created  evil-'))!;
		// (cut as the monitor cuts Live events: the details first, then the agents, each down to its column's floor, then the session)
		expect(title).toMatch(/^ +\d+s {2}\+ created {2}evil-␛\]0;pwned␇ +clear␛\[2J… {2}status=c1…$/);
		expect(after('+ created  evil-')).toMatch(/^ +\d+s {2}\+ created {2}plain-after-title +claude→gpt {2}status=ac…$/);
		expect(lines.find(line => line.includes('+ created  cut-'))).toMatch(/^ +\d+s {2}\+ created {2}cut-x+␛\]0;pwned␇ +clear␛\[2J… {2}status=ac…$/);
		expect(after('+ created  cut-')).toMatch(/^ +\d+s {2}\+ created {2}plain-after-cut +claude→gpt {2}status=ac…$/);
		expect(column(title, 'status=')).toBe(column(lines.find(line => line.startsWith('AGO')), 'DETAIL'));
		// sessions: the hostile status, the columns after it in place
		const sessionsHeader = lines.find(line => line.startsWith('SESSI') && line.includes('STATUS'));
		// (cut as the monitor cuts Sessions: the agents first, then the session key)
		const evil = lines.find(line => line.startsWith('evil-␛]0;pwned␇ '));
		expect(evil).toMatch(/^evil-␛\]0;pwned␇ +c1�2J +clear␛\[2J␛\[… +0 +0 +0s +created$/);
		expect(after(evil!)).toMatch(/^plain-after-title +active +claude→gpt +0 +0 +0s +created$/);
		expect(column(evil, 'c1�2J')).toBe(column(sessionsHeader, 'STATUS'));
		expect(column(evil, 'clear')).toBe(column(sessionsHeader, 'AGENTS'));
		expect(column(evil, 'created')).toBe(column(sessionsHeader, 'LAST EVENT'));
		expect(stdout).toMatch(/^forged␊2026-01-0… +active +claude→gpt +0 +0 +0s +created$/m);
		// dormant: the hostile policy (a column that is never cut), the next row intact
		expect(stdout).toMatch(/^�gnp\.exe-bidi +dormant +pol␛\[2J +0s +- +never$/m);
		expect(lines[lines.findIndex(line => /^�gnp\.exe-bidi +dormant /.test(line)) + 1]).toMatch(/^plain-after-cut +active +standard +0s +dormant +in \dh( \d+m)?$/);
		// performance, latency, metrics
		expect(stdout).toMatch(/^ {3}op-a-␛]0;pwned␇ +6 +100\.0 /m);
		expect(after('   op-a-␛]0;pwned␇ ')).toMatch(/^! {2}op-b-after +6 +83\.3 +13\.0 /);
		expect(stdout).toMatch(/^op-a-␛]0;pwned␇ +[ ▁-█]+$/m);
		expect(stdout).toMatch(/^metric-a-␛]0;pwned␇ {2}host=␛\[2Jhost {2}gauge +7\.00 +1m$/m);
		expect(after('metric-a-␛]0;pwned␇  ')).toMatch(/^metric-b-after {7}host=after {5}gauge +8\.00 +1m$/);
	});

	it('--json carries the exact strings', async () => {
		const {code, stdout} = await runBinary(bin, ['snapshot', '--json', '--dsn', db().url]);
		expect(code).toBe(0);
		const doc = JSON.parse(stdout) as Record<string, any>;
		const keys = doc['sessions'].rows.map((row: any) => row.session_key);
		expect(keys).toEqual(expect.arrayContaining([hostile.title, hostile.bidi, hostile.cut, hostile.newline]));
		const title = doc['sessions'].rows.find((row: any) => row.session_key === hostile.title);
		expect(title).toMatchObject({agent_from: hostile.clear, agent_to: hostile.colour, status: hostile.c1});
		const event = doc['events'].find((e: any) => e.session_key === hostile.title);
		expect(event).toMatchObject({agent_from: hostile.clear, agent_to: hostile.colour, event_data: {status: hostile.c1}});
		expect(doc['dormant'].find((d: any) => d.session_key === hostile.bidi).retention_policy).toBe(hostile.policy);
		expect(doc['performance'].rows.map((r: any) => r.operation)).toContain(hostile.operation);
		expect(doc['metrics'].find((m: any) => m.name === hostile.metric).labels).toEqual({host: hostile.label});
		expect(stdout).toContain(JSON.stringify(hostile.title)); // JSON's own escapes, \u001b and \u0007
	});

	it('quotes a hostile migration name in the schema line inert', async () => {
		const {code, stdout} = await runBinary(bin, ['snapshot', '--dsn', history().url]);
		expect(code).toBe(0);
		expectInert(stdout); // (the schema line is not cut to 80 columns)
		expect(stdout).toMatch(/^newer: schema is newer than this handoff-top \(999_evil␛]0;pwned␇\): upgrade handoff-top$/m);
		const json = JSON.parse((await runBinary(bin, ['snapshot', '--json', '--dsn', history().url])).stdout);
		expect(json.schema.unknown).toEqual([`999_${hostile.migration}`]);
	});
});

describe('tail', () => {
	it('prints one inert line per event; --json the exact strings', async () => {
		const text = start(bin, ['tail', '--since', '1h', '--dsn', db().url]);
		const json = start(bin, ['tail', '--json', '--since', '1h', '--dsn', db().url]);
		await until(() => text.output.stdout.includes('evil-') && json.output.stdout.includes('evil-'), 15_000, 'the replayed events');
		text.kill('SIGTERM');
		json.kill('SIGTERM');
		expect([await exited(text), await exited(json)]).toEqual([0, 0]);

		const lines = text.output.stdout.trimEnd().split('\n');
		expect(lines).toHaveLength(7); // six created, one dormant: the line feed in a key forged nothing
		expectInert(text.output.stdout);
		expectInert(text.output.stderr);
		expect(lines.find(l => l.includes('evil-'))).toMatch(/ {2}\+ created {9}evil-␛]0;pwned␇\s{2,}clear␛\[2J␛\[H→␛\[31mred␛\[0m\s{2,}status=c1�2J policy=standard$/);
		expect(lines.find(l => l.includes('forged'))).toContain(`  ${shown.newline}  claude→gpt  `);
		expect(lines.find(l => l.includes('forged'))).toMatch(/claude→gpt\s+status=active policy=standard$/);
		expect(lines.find(l => l.includes('cut-'))).toMatch(/ {2}cut-xxxxxxxxxx␛]0;pwned␇\s{2,}clear␛\[2J␛\[H→gpt\s{2,}/);
		expect(lines.find(l => l.includes('z dormant'))).toMatch(/ {2}�gnp\.exe-bidi\s{2,}claude→␛\[31mred␛\[0m {2}idle 0s$/);

		const events = json.output.stdout.trimEnd().split('\n').map(l => JSON.parse(l) as Record<string, any>);
		expect(events).toHaveLength(7);
		expect(events.map(e => e['session_key'])).toEqual(expect.arrayContaining([hostile.title, hostile.bidi, hostile.cut, hostile.newline]));
		expect(events.find(e => e['session_key'] === hostile.title)).toMatchObject({agent_from: hostile.clear, agent_to: hostile.colour, event_data: {status: hostile.c1}});
		expect(events.find(e => e['session_key'] === hostile.bidi && e['event_type'] === 'created')!['event_data']).toMatchObject({retention_policy: hostile.policy});
	});
});

describe('validate', () => {
	it('names a hostile table inert; --json exactly', async () => {
		const text = await runBinary(bin, ['validate', '--dsn', db().url]);
		expect(text.code).toBe(0); // another table in the schema is info, not drift
		expectInert(text.stdout);
		expect(text.stdout).toContain(`  extra table ${shown.table}`);
		const json = JSON.parse((await runBinary(bin, ['validate', '--json', '--dsn', db().url])).stdout);
		expect(json.differences.map((d: any) => d.name)).toContain(hostile.table);
	});

	it('names a hostile migration inert', async () => {
		const text = await runBinary(bin, ['validate', '--dsn', history().url]);
		expect(text.code).toBe(4);
		expectInert(text.stdout);
		expect(text.stdout).toContain(`999_${shown.migration}.sql`);
	});
});

describe('sweep', () => {
	it('--dry-run lists the session it would expire inert; --json exactly', async () => {
		const text = await runBinary(bin, ['sweep', '--dry-run', '--dsn', sweeping().url]);
		expect(text.code).toBe(0);
		expectInert(text.stdout);
		expect(text.stdout).toMatch(/^ {2}expire {2}boom-␛]0;pwned␇ {2}[0-9a-f-]{36} {2}\(pol␛\[2J\)$/m);
		const json = JSON.parse((await runBinary(bin, ['sweep', '--dry-run', '--json', '--dsn', sweeping().url])).stdout);
		expect(json.sessions[0]).toMatchObject({action: 'expire', sessionKey: boomKey, retentionPolicy: hostile.policy});
	});
});

describe('error lines', () => {
	it("a server's error message that quotes a hostile value is one inert line", async () => {
		const run = await runBinary(bin, ['sweep', '--dsn', sweeping().url]);
		expect(run.code).toBe(1);
		expect(run.stderr).toBe('handoff-top: refusing to touch boom-␛]0;pwned␇\n');
	});

	it('so is a connection error that quotes a hostile database name', async () => {
		const url = new URL(db().adminUrl);
		url.pathname = `/${encodeURIComponent(`nodb${setTitle}\u001B[2J`)}`;
		const run = await runBinary(bin, ['snapshot', '--dsn', url.toString()]);
		expect(run.code).toBe(3);
		expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
		expectInert(run.stderr);
		expect(run.stderr).toContain('nodb␛]0;pwned␇␛[2J');
	});
});
