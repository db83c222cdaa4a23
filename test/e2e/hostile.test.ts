// Hostile strings in the database, through the built binary in a real terminal
// (tmux): the monitor's screens (Live events, Sessions, session detail, its
// footer, help, Dormant, Perf, Metrics, Schema) and `tail` in a pane. Printed
// raw, these rows would retitle the pane (OSC 0), clear the screen (CSI 2J) and
// eat the rest of a row (an OSC cut open by column truncation). Here the pane
// keeps its title, the screen keeps its known text, and the row after each
// hostile one is intact.
import {execFileSync} from 'node:child_process';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildCli, type BuiltCli} from '../demo/builtCli.js';
import {useTestDatabase} from '../helpers/database.js';
import {insertHostileBackground, insertHostileSessions, shown} from '../helpers/hostile.js';

const database = useTestDatabase();
const monitorSession = `ht-hostile-${process.pid}-${Date.now()}`;
const tailSession = `${monitorSession}-tail`;
let cli: BuiltCli | undefined;
// inserted once, by whichever test comes first (the monitor's wants the feed live first)
let inserted: ReturnType<typeof insertHostileSessions> | undefined;
const insertSessions = async () => (inserted ??= insertHostileSessions(database().pool));

const tmuxSocket = `handoff-top-hostile-${process.pid}`;
function tmux(...args: string[]): string {
	return execFileSync('tmux', ['-L', tmuxSocket, ...args], {encoding: 'utf8'});
}

const capture = (name: string) => tmux('capture-pane', '-p', '-t', name);
const paneTitle = (name: string) => tmux('display-message', '-p', '-t', name, '#{pane_title}').trim();

async function waitFor(name: string, predicate: (screen: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const screen = capture(name);
		if (predicate(screen)) return screen;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
const line = (screen: string, wanted: string) => screen.split('\n').find(l => l.includes(wanted)) ?? '';

beforeAll(async () => {
	cli = await buildCli();
	await insertHostileBackground(database().pool);
}, 120_000);

afterAll(() => {
	try {
		tmux('kill-server');
	} catch {
		// no server left
	}

	cli?.remove();
});

describe('hostile strings in a real terminal', () => {
	it('the monitor shows them inert on every screen: the pane keeps its title and its screen, the next row is intact', async () => {
		const db = database();
		// CI=true makes Ink print only the last frame: the child must not see it.
		const command = `env -u CI ${shellQuote(process.execPath)} ${shellQuote(cli!.bin)} --dsn ${shellQuote(db.url)}; sleep 60`;
		tmux('new-session', '-d', '-s', monitorSession, '-x', '120', '-y', '36', command);
		const title = paneTitle(monitorSession);
		expect(title).not.toBe('pwned');
		await waitFor(monitorSession, s => s.includes('Live events') && s.includes('● live'), 'the live events screen');

		/** The pane title is untouched and the screen still shows its frame: title bar, rates, status and footer. */
		const intact = (screen: string, where: string) => {
			if (process.env['SHOW_SCREENS']) console.log(`${where}:\n${screen}`);
			expect(paneTitle(monitorSession), where).toBe(title);
			expect(screen, where).toMatch(/1 Events.*read-only/);
			expect(screen, where).toContain('events/min');
			expect(screen, where).toMatch(/● (live|connected)/);
		};

		await insertSessions();
		// 1 Live events: newest first; each plain row right below a hostile one.
		let screen = await waitFor(monitorSession, s => s.includes('plain-after-cut'), 'the hostile events');
		intact(screen, 'live events');
		expect(line(screen, 'plain-after-title')).toMatch(/^\s+\d\d:\d\d:\d\d \+ created\s+plain-after-title\s+claude→gpt\s+status=a\S*( policy=standard)?\s*$/); // details are cut first beside the forged 61-character key
		expect(line(screen, 'plain-after-cut')).toMatch(/^\s+\d\d:\d\d:\d\d \+ created\s+plain-after-cut\s+claude→gpt\s+status=a\S*( policy=standard)?\s*$/);
		// the session column is as wide as its longest key: the key inert and whole, and the row goes on
		expect(line(screen, 'cut-xxxx')).toMatch(/ cut-xxxxxxxxxx␛]0;pwned␇\s+clear␛\[2J␛\[H→gpt\s+status=a/);
		expect(line(screen, 'evil-␛]0;pwned␇')).toMatch(/ evil-␛]0;pwned␇\s+clear␛\[2J␛\[H→␛\[\S*… status=c1/);
		expect(line(screen, 'gnp.exe')).toMatch(/ �gnp\.exe-bidi\s+claude→␛\[31mred␛\[0m\s/);
		expect(screen).toContain('forged␊2026-01-'); // the line feed did not start a line
		expect(screen).not.toMatch(/^\s*2026-01-01T00:00:00\.000Z/m);

		// 2 Sessions, most recently active first
		tmux('send-keys', '-t', monitorSession, '2');
		screen = await waitFor(monitorSession, s => s.includes('Sessions · sort') && s.includes('plain-after-cut'), 'the sessions screen');
		intact(screen, 'sessions');
		expect(line(screen, 'plain-after-title')).toMatch(/^ {2}plain-after-title\s+claude→gpt\s+active\s+/);
		expect(line(screen, 'plain-after-cut')).toMatch(/^ {2}plain-after-cut\s+claude→gpt\s+active\s+/);
		expect(line(screen, shown.title)).toMatch(/^›/); // selected: the newest
		const columnOf = (row: string, text: string) => [...row].join('').indexOf(text);
		expect(columnOf(line(screen, shown.title), 'clear␛')).toBe(columnOf(line(screen, 'plain-after-title'), 'claude→gpt'));

		// the session detail (Enter): fields, lifecycle timeline, recent operations
		tmux('send-keys', '-t', monitorSession, 'Enter');
		screen = await waitFor(monitorSession, s => s.includes(`Session ${shown.title}`) && s.includes('Recent operations'), 'the session detail');
		intact(screen, 'session detail');
		expect(screen).toMatch(/agents\s+clear␛\[2J␛\[H → ␛\[31mred␛\[0m/);
		expect(screen).toMatch(/status\s+c1�2J/);
		expect(screen).toMatch(/\+ created\s+status=c1�2J policy=standard/);
		expect(screen).toMatch(/op-a-␛]0;pwned␇\s+12ms ok/);
		expect(screen).toMatch(/op-b-after\s+13ms FAILED/);

		// the footer: a refusal that names the session
		tmux('send-keys', '-t', monitorSession, 'a');
		screen = await waitFor(monitorSession, s => s.includes('refused: read-only'), 'the refusal in the footer');
		intact(screen, 'footer');
		expect(line(screen, 'refused: read-only')).toContain(`archive session ${shown.title} (it becomes read-only)`);

		// help over the detail
		tmux('send-keys', '-t', monitorSession, '?');
		screen = await waitFor(monitorSession, s => s.includes('Keys — Esc closes'), 'the help');
		intact(screen, 'help');
		tmux('send-keys', '-t', monitorSession, 'Escape');
		await waitFor(monitorSession, s => s.includes(`Session ${shown.title}`), 'the detail again');
		tmux('send-keys', '-t', monitorSession, 'Escape');
		await waitFor(monitorSession, s => s.includes('Sessions · sort'), 'the sessions list again');

		// 3 Dormant: the bidi session under the hostile policy
		tmux('send-keys', '-t', monitorSession, '3');
		screen = await waitFor(monitorSession, s => s.includes('Dormant ·') && s.includes('gnp.exe'), 'the dormant screen');
		intact(screen, 'dormant');
		expect(line(screen, 'gnp.exe')).toMatch(/�gnp\.exe-bidi\s+dormant\s+pol␛\[2J\s+/);

		// 4 Perf: the hostile operation, the plain one after it, the chart titles
		tmux('send-keys', '-t', monitorSession, '4');
		// the table is polled once per refresh interval: wait for the poll that saw the rows inserted above
		screen = await waitFor(monitorSession, s => s.includes('Performance · last 24h') && /op-b-after\s+6\s/.test(s), 'the performance screen with every row');
		intact(screen, 'performance');
		expect(line(screen, 'op-a-')).toMatch(/op-a-␛]0;pwned␇\s+6\s+100\.0%\s+/);
		expect(line(screen, 'ALARM')).toContain('success op-b-after 83.3% < 95%'); // the alarm names the plain operation, not the hostile one
		expect(screen.split('\n').find(l => l.includes('op-b-after') && !l.includes('ALARM'))).toMatch(/^ {2}(! )?op-b-after\s+6\s+83\.3%\s+\d+ms\s+\d+ms\s+\d+ms\s+\d+s ago\s*$/);
		await waitFor(monitorSession, s => s.includes('p95 op-a-␛]0;pwned␇'), 'the chart of the hostile operation');

		// 5 Metrics: name and labels, the plain series after it, the chart title
		tmux('send-keys', '-t', monitorSession, '5');
		screen = await waitFor(monitorSession, s => s.includes('Metrics · latest') && s.includes('metric-b-after'), 'the metrics screen');
		intact(screen, 'metrics');
		expect(line(screen, 'metric-a-')).toMatch(/metric-a-␛]0;pwned␇\s+host=␛\[2Jhost\s+gauge\s+7\s+1m ago/);
		expect(line(screen, 'metric-b-after')).toMatch(/^ {2}metric-b-after\s+host=after\s+gauge\s+8\s+1m ago\s*$/);
		await waitFor(monitorSession, s => s.includes('metric-a-␛]0;pwned␇ host=␛[2Jhost · avg per bucket'), 'the chart of the hostile metric');

		// 6 Schema: the hostile table among the validation differences, selected, with its properties
		tmux('send-keys', '-t', monitorSession, '6');
		screen = await waitFor(monitorSession, s => s.includes('Schema ·') && s.includes(shown.table), 'the schema screen', 20_000);
		intact(screen, 'schema');
		expect(line(screen, shown.table)).toMatch(/info\s+extra\s+table\s+tbl-␛]0;pwned␇/);

		// and back: the events screen is still whole
		tmux('send-keys', '-t', monitorSession, '1');
		screen = await waitFor(monitorSession, s => s.includes('Live events') && s.includes('plain-after-cut'), 'live events again');
		intact(screen, 'live events again');
		tmux('send-keys', '-t', monitorSession, 'q');
	}, 90_000);

	it('tail in a pane prints them inert: the pane keeps its title and what it showed before, one line per event', async () => {
		const db = database();
		await insertSessions();
		// the events replayed: tail owns the pane after a marker line
		const command = `printf 'MARKER-BEFORE-TAIL\\n'; env -u CI ${shellQuote(process.execPath)} ${shellQuote(cli!.bin)} tail --since 1h --dsn ${shellQuote(db.url)}; sleep 60`;
		tmux('new-session', '-d', '-s', tailSession, '-x', '200', '-y', '40', command);
		const title = paneTitle(tailSession);
		const screen = await waitFor(tailSession, s => s.includes('plain-after-title') && s.includes(shown.title), 'the replayed events');
		expect(paneTitle(tailSession)).toBe(title);
		expect(paneTitle(tailSession)).not.toBe('pwned');
		expect(screen.split('\n')[0]).toBe('MARKER-BEFORE-TAIL'); // not cleared, nothing moved the cursor home
		const lines = screen.split('\n').filter(l => /^\d{4}-\d\d-\d\dT/.test(l));
		expect(lines).toHaveLength(7); // six sessions created, one gone dormant: no forged line
		expect(line(screen, shown.title)).toMatch(/\+ created\s+evil-␛]0;pwned␇\s{2,}clear␛\[2J␛\[H→␛\[31mred␛\[0m\s{2,}status=c1�2J policy=standard$/);
		expect(line(screen, 'plain-after-title')).toMatch(/\+ created\s+plain-after-title\s{2,}claude→gpt\s{2,}status=active policy=standard$/);
		expect(line(screen, 'cut-xxxx')).toMatch(/\+ created\s+cut-xxxxxxxxxx␛]0;pwned␇\s{2,}clear␛\[2J␛\[H→gpt\s{2,}status=active policy=standard$/);
		expect(line(screen, 'plain-after-cut')).toMatch(/\+ created\s+plain-after-cut\s{2,}claude→gpt\s{2,}status=active policy=standard$/);
		expect(line(screen, 'forged␊')).toContain(`  ${shown.newline}  claude→gpt`);
		expect(screen).toMatch(/z dormant\s+�gnp\.exe-bidi\s{2,}claude→␛\[31mred␛\[0m/);
	}, 60_000);
});
