// Prompts take input per key press, whatever arrives in one read: a paste or
// fast typing ('/' then 'dormant\r' in one write) fills the prompt and submits.
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {presses} from '../../source/ui/hooks/useKeymap.js';
import {renderMonitor, until} from './render.js';

afterEach(() => cleanup());

describe('prompt input', () => {
	it('a filter pasted with its Enter is submitted, with no carriage return stored', async () => {
		const statuses: Array<string | undefined> = [];
		const ui = renderMonitor({
			app: {initialScreen: 'sessions'},
			data: {
				async sessionsPage(params) {
					statuses.push(params.status);
					return {rows: [], total: 0};
				},
			},
		});
		await ui.waitForText('no sessions');
		await ui.press('/');
		await ui.waitForText('status /');
		ui.stdin.write('dormant\r');
		const text = await ui.waitForText('status: dormant');
		await until(() => statuses.includes('dormant'), 'a page read with status dormant');
		expect(statuses.every(s => s === undefined || s === 'dormant')).toBe(true);
		expect(text).not.toContain('status /');
	});

	it('the key that opens a prompt and the text after it in one read: the text goes to the prompt, not to the keys', async () => {
		const ui = renderMonitor({app: {initialScreen: 'events'}, write: true});
		await ui.waitForText('waiting for lifecycle events');
		// q in the text would quit if it went to the global keys; 2 would switch screen
		ui.stdin.write('/q2x\r');
		const text = await ui.waitForText("filter: q2x");
		expect(text).toContain('Live events');
		expect(text).not.toContain('filter /');
	});

	it('control characters in a read are keys, never text: backspace edits, Ctrl-A adds nothing', async () => {
		const ui = renderMonitor({app: {initialScreen: 'events'}});
		await ui.waitForText('waiting for lifecycle events');
		ui.stdin.write('/abc\u007F\u007Fz\u0001\r');
		await ui.waitForText('filter: az');
		expect(ui.text()).not.toMatch(/\u0001|\r/);
	});

	it('splits a read into presses with their own keys', () => {
		const base = {return: false, tab: false, backspace: false, delete: false, ctrl: false, meta: false, shift: false} as never;
		const split = presses('aB\r\u0003', base);
		expect(split.map(([input]) => input)).toEqual(['a', 'B', '', 'c']);
		expect(split[1]![1].shift).toBe(true);
		expect(split[2]![1].return).toBe(true);
		expect(split[3]![1].ctrl).toBe(true);
	});
});
