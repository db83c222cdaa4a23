// The inert text of source/text/inert.ts: every class of control made visible,
// one column per character, so measuring and cutting the result is safe; and
// the helpers that measure and cut (the monitor's cell(), snapshot's
// textTable(), tail's line) apply it first.
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {textTable} from '../../source/commands/textTable.js';
import type {LifecycleEvent} from '../../source/feed/eventFeed.js';
import {agents, eventSummary, formatEventLine} from '../../source/feed/eventText.js';
import {packageRoot} from '../../source/paths.js';
import {inert, inertLines} from '../../source/text/inert.js';
import {cell, compact} from '../../source/ui/format.js';

/** Anything a terminal could act on, or that hides, moves or reorders text. */
// eslint-disable-next-line no-control-regex
export const unsafe = /[\u0000-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u2028-\u202E\u2060-\u2069\uFEFF\u{E0000}-\u{E007F}]/u;

const hostile = [
	'evil-\u001B]0;pwned\u0007', // OSC 0: window title, BEL-terminated
	'title\u001B]2;pwned\u001B\\', // OSC 2, ST-terminated
	'clear\u001B[2J\u001B[H', // CSI: clear the screen, cursor home
	'\u001B[31mred\u001B[0m', // CSI: colour
	'c1\u009B2J', // C1 CSI
	'c1-osc\u009D0;pwned\u009C', // C1 OSC ... ST
	'dcs\u001BP1$r\u001B\\', // DCS
	'bidi\u202Egnp.exe', // right-to-left override
	'\u2066isolate\u2069\u200Emark\u200F\u061C',
	'zero\u200Bwidth\u2060joiner\uFEFF\u00ADsoft',
	'line\u2028sep\u2029para',
	'tag\u{E0041}\u{E007F}',
	'tab\there\nnew\rline\u0000nul\u007Fdel',
];

describe('inert', () => {
	it('leaves plain text alone, ASCII and not', () => {
		for (const text of ['', 'sess-91bc', 'claude→gpt', 'status=active policy=standard', 'café 日本語 ✔ ●', 'عربي', 'नमस्ते', 'می‌خواهم', '👩‍💻']) {
			expect(inert(text)).toBe(text);
		}
	});

	it('shows C0 controls and DEL as their control pictures, one for one', () => {
		for (let code = 0; code < 0x20; code++) {
			expect(inert(`a${String.fromCharCode(code)}b`)).toBe(`a${String.fromCharCode(0x2400 + code)}b`);
		}

		expect(inert('\u007F')).toBe('␡');
		expect(inert('evil-\u001B]0;pwned\u0007')).toBe('evil-␛]0;pwned␇');
		expect(inert('tab\tnl\ncr\r')).toBe('tab␉nl␊cr␍');
	});

	it('shows C1 controls as �', () => {
		for (let code = 0x80; code <= 0x9f; code++) expect(inert(`a${String.fromCharCode(code)}b`)).toBe('a�b');
		expect(inert('c1\u009B2J')).toBe('c1�2J');
	});

	it('shows bidi controls, zero-width and other format characters, separators and lone surrogates as �', () => {
		const formats = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c, 0x200b, 0x2060, 0x2061, 0x2064, 0xfeff, 0xad, 0x180e, 0xfff9, 0x2028, 0x2029];
		for (const code of formats) expect(inert(`a${String.fromCharCode(code)}b`), code.toString(16)).toBe('a�b');
		expect(inert('tag\u{E0041}')).toBe('tag�');
		expect(inert('lone\uD800surrogate\uDFFF')).toBe('lone�surrogate�');
		// kept: the joiners that scripts and emoji need
		expect(inert('a\u200Cb\u200Dc')).toBe('a\u200Cb\u200Dc');
	});

	it('leaves nothing a terminal acts on, and is idempotent', () => {
		for (const text of hostile) {
			const shown = inert(text);
			expect(shown, JSON.stringify(text)).not.toMatch(unsafe);
			expect(inert(shown)).toBe(shown);
		}
	});

	it('is as wide as it is long: every replacement is one column', () => {
		for (const text of hostile) {
			const shown = inert(text);
			expect(stringWidth(shown), JSON.stringify(text)).toBe([...shown].length);
			// the BMP controls are replaced one code unit for one: lengths measured before inert() stay right
			if (!/[\u{10000}-\u{10FFFF}]|[\uD800-\uDFFF]/u.test(text)) expect(shown.length).toBe(text.length);
		}
	});

	it('inertLines keeps line breaks and nothing else', () => {
		expect(inertLines('a\u001B[2J\nb\tc\r\nd')).toBe('a␛[2J\nb␉c␍\nd');
		expect(inertLines('plain\ntext')).toBe('plain\ntext');
	});

	it('is fast on the plain strings every cell is', () => {
		const plain = Array.from({length: 1000}, (_, i) => `sess-${i} claude→gpt`);
		const started = performance.now();
		for (let round = 0; round < 200; round++) for (const text of plain) inert(text);
		// 200 000 calls; well under a microsecond each on this machine (a generous bound, not a benchmark)
		expect(performance.now() - started).toBeLessThan(2000);
	});
});

describe('the helpers that measure and cut', () => {
	it("the monitor's cell() is inert before it cuts: no cut leaves a control, and every cell is exactly as wide", () => {
		for (const text of hostile) {
			for (let width = 1; width <= text.length + 2; width++) {
				for (const align of ['left', 'right'] as const) {
					const shown = cell(text, width, align);
					expect(shown, `${JSON.stringify(text)} at ${width}`).not.toMatch(unsafe);
					expect(stringWidth(shown)).toBe(width);
				}
			}
		}

		expect(cell('evil-\u001B]0;pwned\u0007', 8)).toBe('evil-␛]…');
		expect(compact({status: 'a\u001B[2J'})).toBe('status=a\u001B[2J'); // compact() only joins; cell() makes it inert
	});

	it("snapshot's textTable() is inert before it measures: columns stay aligned and no cut leaves a control", () => {
		const rows = hostile.map(text => [text, '‖', text]);
		for (const width of [40, 60, 80]) {
			const lines = textTable([{header: 'A', flexible: true}, {header: 'B'}, {header: 'C', flexible: true}], rows, width);
			for (const line of lines) {
				expect(line).not.toMatch(unsafe);
				expect(stringWidth(line)).toBeLessThanOrEqual(width);
			}

			// the B column starts at the same place on every row
			const at = lines.map(line => [...line].indexOf('‖'));
			expect(new Set(at.slice(1)).size).toBe(1);
		}
	});

	it("tail's line and the event texts are inert; only the type's own colour is an escape code", () => {
		const event: LifecycleEvent = {
			id: '1',
			seq: '1',
			xid: '1',
			sessionId: '00000000-0000-4000-8000-000000000001',
			sessionKey: 'evil-\u001B]0;pwned\u0007\nforged line',
			agentFrom: 'clear\u001B[2J',
			agentTo: '\u202Eright',
			eventType: 'created',
			eventData: {status: 'c1\u009B2J', retention_policy: 'p\u001B[31m', reason: 'r\u0007'},
			createdAt: new Date('2026-11-26T10:00:00Z'),
		};
		const plain = formatEventLine(event);
		expect(plain).not.toMatch(unsafe);
		expect(plain).toBe('2026-11-26T10:00:00.000Z  + created         evil-␛]0;pwned␇␊forged line  clear␛[2J→�right  status=c1�2J policy=p␛[31m by r␇');
		const coloured = formatEventLine(event, {color: true});
		expect(coloured.replaceAll(/\u001B\[(32|39)m/g, '')).toBe(plain);
		expect(agents(event)).toBe('clear␛[2J→�right');
		expect(eventSummary(event)).toBe('status=c1�2J policy=p␛[31m by r␇');
	});
});

describe('the monitor draws every string through the inert Text', () => {
	it("no file of the UI imports Ink's Text but the wrapper", () => {
		const root = path.join(packageRoot(), 'source', 'ui');
		const files = readdirSync(root, {recursive: true, encoding: 'utf8'}).filter(file => /\.tsx?$/.test(file));
		expect(files.length).toBeGreaterThan(20);
		for (const file of files) {
			const text = readFileSync(path.join(root, file), 'utf8');
			const fromInk = [...text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'ink'/g)].flatMap(m => m[1]!.split(',').map(name => name.trim()));
			if (file === path.join('components', 'Text.tsx')) continue;
			expect(fromInk, file).not.toContain('Text');
			expect(fromInk.filter(name => /^(Text|Transform|Static)\b/.test(name)), file).toEqual([]);
		}
	});
});
