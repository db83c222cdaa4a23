// The monitor's terminal stream writes only the lines that changed between
// Ink's frames. What a terminal shows after it must be what it shows after
// Ink's whole-frame writes, frame after frame, through clears and resizes.
import {describe, expect, it} from 'vitest';
import {diffWrite, type FrameDiffState} from '../../source/ui/frameDiff.js';

const eraseLines = (count: number) => {
	let text = '';
	for (let index = 0; index < count; index++) text += `\u001B[2K${index < count - 1 ? '\u001B[1A' : ''}`;
	return count > 0 ? `${text}\u001B[G` : '';
};

/** A terminal that knows what these streams use: text, \n, CSI row;colH, nA, G, 2K, K, J, SGR (kept with each cell). */
class Screen {
	rows: string[][] = [];
	row = 0;
	col = 0;
	style = new Map<string, string>();
	constructor(readonly height: number) {}

	write(data: string) {
		for (let index = 0; index < data.length; ) {
			const csi = /^\u001B\[([0-9;?]*)([A-Za-z])/.exec(data.slice(index, index + 32));
			if (csi) {
				index += csi[0].length;
				this.control(csi[1]!, csi[2]!);
				continue;
			}

			const char = data[index++]!;
			if (char === '\n') {
				this.row = Math.min(this.row + 1, this.height - 1);
				this.col = 0;
			} else if (char === '\u0007') {
				// the bell
			} else {
				this.line(this.row)[this.col++] = `${[...this.style].filter(([, value]) => value !== '').join(',')}${char}`;
			}
		}
	}

	private line(row: number): string[] {
		this.rows[row] ??= [];
		return this.rows[row];
	}

	private control(parameters: string, final: string) {
		const numbers = parameters.split(';').map(Number);
		if (final === 'm') this.sgr(parameters);
		else if (final === 'H') [this.row, this.col] = [(numbers[0] || 1) - 1, (numbers[1] || 1) - 1];
		else if (final === 'A') this.row = Math.max(0, this.row - (numbers[0] || 1));
		else if (final === 'G') this.col = 0;
		else if (final === 'K' && parameters === '2') this.rows[this.row] = [];
		else if (final === 'K') this.rows[this.row] = this.line(this.row).slice(0, this.col);
		else if (final === 'J') this.rows = [];
	}

	/** The attributes these frames use, on and off: a style left open carries to whatever is written next. */
	private sgr(parameters: string) {
		const code = Number(parameters || '0');
		if (code === 0) this.style.clear();
		else if (code === 1 || code === 22) this.style.set('bold', code === 1 ? 'bold' : '');
		else if (code === 7 || code === 27) this.style.set('inverse', code === 7 ? 'inverse' : '');
		else if ((code >= 30 && code <= 37) || code === 39) this.style.set('fg', code === 39 ? '' : String(code));
	}

	text(): string {
		return Array.from({length: this.height}, (_, row) => Array.from(this.rows[row] ?? [], cell => cell ?? ' ').join('').trimEnd()).join('\n');
	}
}

/** Ink's standard log-update: erase the previous frame, write the next with a newline after it. */
function inkWriter() {
	let previousLineCount = 0;
	return {
		frame(output: string): string {
			const text = `${output}\n`;
			const chunk = eraseLines(previousLineCount) + text;
			previousLineCount = text.split('\n').length;
			return chunk;
		},
		clear(): string {
			const chunk = eraseLines(previousLineCount);
			previousLineCount = 0;
			return chunk;
		},
	};
}

function random(seed: number) {
	let value = seed;
	return (below: number) => {
		value = (value * 1_103_515_245 + 12_345) % 2_147_483_648;
		return value % below;
	};
}

describe('diffWrite', () => {
	it('leaves the terminal showing every frame as the whole-frame writes do, through clears, bells and unknown writes', () => {
		const next = random(7);
		const words = ['sess', 'active', '\u001B[1mbold\u001B[22m', '\u001B[31mred\u001B[39m', '→', '12s', ' ', '\u001B[7m› sel\u001B[27m', '√'];
		const makeFrame = () => {
			const lines = Array.from({length: 18 + next(5)}, () => Array.from({length: next(8)}, () => words[next(words.length)]).join(' '));
			return lines.join('\n');
		};

		const whole = new Screen(24);
		const diffed = new Screen(24);
		const ink = inkWriter();
		const state: FrameDiffState = {screen: []}; // the alternate screen just entered: blank, the cursor at row 1
		let written = 0;
		let wholeBytes = 0;
		let previous = makeFrame();
		for (let step = 0; step < 400; step++) {
			let chunk: string;
			const choice = next(20);
			if (choice === 0) {
				chunk = ink.clear(); // what useStdout().write does before its data
			} else if (choice === 1) {
				chunk = '\u0007';
			} else if (choice === 2) {
				chunk = '\u001B[?2026h';
			} else {
				// a frame that changes a few lines of the last, or a new one
				const lines = previous.split('\n');
				if (choice < 15) {
					for (let edits = next(3); edits >= 0; edits--) lines[next(lines.length)] = makeFrame().split('\n')[0]!;
					previous = lines.join('\n');
				} else {
					previous = makeFrame();
				}

				chunk = ink.frame(previous);
			}

			whole.write(chunk);
			wholeBytes += chunk.length;
			const out = diffWrite(state, chunk);
			written += out.length;
			diffed.write(out);
			expect(diffed.text(), `step ${step}`).toBe(whole.text());
			expect([diffed.row, diffed.col], `cursor after step ${step}`).toEqual([whole.row, whole.col]);
		}

		expect(written).toBeLessThan(wholeBytes / 2);
	});

	it('after a clear of the screen or a resize it passes the next frame through whole, then diffs again', () => {
		const state: FrameDiffState = {screen: []};
		const ink = inkWriter();
		const first = ink.frame('a\nb\nc');
		expect(diffWrite(state, first)).toBe(first); // the first frame, on the blank screen: as Ink wrote it
		const second = ink.frame('a\nB\nc');
		expect(diffWrite(state, second)).toBe('\u001B[2;1H\u001B[2KB\u001B[4;1H'); // one line, then below the frame
		expect(diffWrite(state, '\u001B[2J\u001B[3J\u001B[H')).toBe('\u001B[2J\u001B[3J\u001B[H');
		const third = ink.frame('a\nB\nc');
		expect(diffWrite(state, third)).toBe(third); // the clear made the screen unknown
		state.screen = undefined; // what the stream does on 'resize'
		const fourth = ink.frame('a\nB\nc\nd');
		expect(diffWrite(state, fourth)).toBe(fourth);
		expect(diffWrite(state, ink.frame('a\nB'))).toBe('\u001B[3;1H\u001B[2K\u001B[4;1H\u001B[2K\u001B[3;1H'); // rows it no longer uses are erased
	});
});
