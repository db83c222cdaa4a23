// Strings an agent of the handoff server could write into the database to take
// over the terminal of whoever watches it, and rows that carry them into every
// screen and command: sessions (key, agents, status, policy; their lifecycle
// events), performance_logs operations, system_metrics names and labels, a
// table (validate), a migration history row (the schema summary). Each hostile
// row has a plain neighbour that must come out intact.
import type pg from 'pg';
import {insertSession} from './fixtures.js';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** OSC 0: sets the window and pane title (BEL-terminated). */
export const setTitle = '\u001B]0;pwned\u0007';
export const hostile = {
	/** the window title */
	title: `evil-${setTitle}`,
	/** clears the screen, cursor home */
	clear: 'clear\u001B[2J\u001B[H',
	/** CSI colour */
	colour: '\u001B[31mred\u001B[0m',
	/** C1 CSI (8-bit) */
	c1: 'c1\u009B2J',
	/** right-to-left override */
	bidi: '\u202Egnp.exe-bidi',
	/** an OSC that a cut at 17 or 18 columns leaves unterminated (ESC at 14) */
	cut: `cut-xxxxxxxxxx${setTitle}`,
	/** a line feed: a forged second line */
	newline: 'forged\n2026-01-01T00:00:00.000Z  + created         fake-session',
	/** a retention policy name (varchar(50)) */
	policy: 'pol\u001B[2J',
	/** a table name for validate */
	table: `tbl-${setTitle}`,
	/** a migration name in the history */
	migration: `evil${setTitle}`,
	operation: `op-a-${setTitle}`,
	metric: `metric-a-${setTitle}`,
	label: '\u001B[2Jhost',
};

/** What the inert form of each looks like on screen. */
export const shown = {
	title: 'evil-␛]0;pwned␇',
	clear: 'clear␛[2J␛[H',
	colour: '␛[31mred␛[0m',
	c1: 'c1�2J',
	bidi: '�gnp.exe-bidi',
	cut: 'cut-xxxxxxxxxx␛]0;pwned␇',
	newline: 'forged␊2026-01-01T00:00:00.000Z  + created         fake-session',
	policy: 'pol␛[2J',
	table: 'tbl-␛]0;pwned␇',
	migration: 'evil␛]0;pwned␇',
	operation: 'op-a-␛]0;pwned␇',
	metric: 'metric-a-␛]0;pwned␇',
	label: '␛[2Jhost',
};

/** Anything a terminal could act on, or that hides, moves or reorders text (line feeds aside). */
// eslint-disable-next-line no-control-regex
export const unsafe = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u2028-\u202E\u2060-\u2069\uFEFF]/u;

/** A frame or output without its own colour codes (SGR), checked for anything else. */
export function withoutColours(text: string): string {
	return text.replaceAll(/\u001B\[[0-9;]*m/g, '');
}

/** Rows that carry no lifecycle event: performance logs, metrics, a policy, a table, a migration row. Before the sessions. */
export async function insertHostileBackground(db: Queryable, options: {table?: boolean; migration?: boolean} = {}): Promise<void> {
	await db.query(`INSERT INTO retention_policies (name, description, dormant_after) VALUES ($1, 'hostile', interval '1 hour') ON CONFLICT DO NOTHING`, [hostile.policy]);
	await db.query(
		`INSERT INTO performance_logs (operation, duration_ms, success, created_at)
		 SELECT op, 10 + g, true, now() - make_interval(secs => g) FROM unnest($1::text[]) op, generate_series(1, 5) g`,
		[[hostile.operation, 'op-b-after']],
	);
	await db.query(
		`INSERT INTO system_metrics (metric_name, metric_value, metric_type, labels, recorded_at)
		 VALUES ($1, 7, 'gauge', $2, now() - interval '1 minute'), ('metric-b-after', 8, 'gauge', '{"host": "after"}', now() - interval '1 minute')`,
		[hostile.metric, JSON.stringify({host: hostile.label})],
	);
	if (options.table ?? true) await db.query(`CREATE TABLE IF NOT EXISTS "${hostile.table.replaceAll('"', '""')}" (id int)`);
	if (options.migration) {
		await db.query(`INSERT INTO handoff_top_migrations (version, name, checksum) VALUES (999, $1, repeat('0', 64))`, [hostile.migration]);
	}
}

export type HostileSessions = {title: string; bidi: string; cut: string; newline: string; plainAfterTitle: string; plainAfterCut: string};

/**
 * The sessions, oldest first, so that in every newest-first list a plain row
 * comes right after (below) a hostile one: title, plain-after-title, bidi,
 * newline, cut, plain-after-cut. Each creates one lifecycle event; the bidi one
 * then goes dormant (a second).
 */
export async function insertHostileSessions(db: Queryable): Promise<HostileSessions> {
	const plainAfterCut = await insertSession(db, {sessionKey: 'plain-after-cut'});
	const cut = await insertSession(db, {sessionKey: hostile.cut, agentFrom: hostile.clear});
	const newline = await insertSession(db, {sessionKey: hostile.newline});
	const bidi = await insertSession(db, {sessionKey: hostile.bidi, retentionPolicy: hostile.policy, agentTo: hostile.colour});
	await db.query(`UPDATE sessions SET is_dormant = true WHERE id = $1`, [bidi.id]);
	const plainAfterTitle = await insertSession(db, {sessionKey: 'plain-after-title'});
	const title = await insertSession(db, {sessionKey: hostile.title, agentFrom: hostile.clear, agentTo: hostile.colour, status: hostile.c1});
	await db.query(
		`INSERT INTO performance_logs (operation, duration_ms, success, session_id) VALUES ($1, 12, true, $2), ('op-b-after', 13, false, $2)`,
		[hostile.operation, title.id],
	);
	return {title: title.id, bidi: bidi.id, cut: cut.id, newline: newline.id, plainAfterTitle: plainAfterTitle.id, plainAfterCut: plainAfterCut.id};
}
