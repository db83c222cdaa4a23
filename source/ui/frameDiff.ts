// A terminal stream for Ink that sends only the lines that changed.
//
//   render(tree, {stdout: diffingStdout(process.stdout)});
//
// Ink 6 redraws every frame whole: it erases the previous frame line by line
// (ESC[2K ESC[1A … ESC[G) and writes the new one, so a clock that ticks or one
// row that changes costs a whole screen of output (and of the terminal's and
// an SSH link's work). This stream recognises that write, compares the new
// frame with the one on the screen line by line, and writes only the changed
// lines at their rows (ESC[row;1H ESC[2K line), then leaves the cursor where
// Ink expects it: below the frame. Any write it does not recognise passes
// through unchanged; after one that may have changed the screen (a clear, a
// resize), the next frame is passed through whole, as Ink wrote it, and
// diffing starts again from it. The monitor draws in the alternate screen
// from its top-left corner and never fills the last row, so the frame's first
// line is the screen's first row.

const esc = '\u001B[';
const erasePrefix = /^(?:\u001B\[2K\u001B\[1A)*\u001B\[2K\u001B\[G/;
// Anything that clears or scrolls the screen: what is on it is no longer known.
const screenChanging = /\u001B\[[0-9;]*J|\u001Bc|\u001B\[\?1049[hl]/;
// A write of escape sequences and control characters only (cursor, sync, bell, title).
const onlyControls = /^(?:\u001B\[[0-9;?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[\u0000-\u001F])*$/;

export type FrameDiffState = {
	/** The lines on the screen from row 1, or undefined when not known. */
	screen: string[] | undefined;
};

/** What to write instead of `chunk`, given what is on the screen; updates `state`. */
export function diffWrite(state: FrameDiffState, chunk: string): string {
	const erase = erasePrefix.exec(chunk);
	if (erase) {
		const frame = chunk.slice(erase[0].length);
		if (screenChanging.test(frame)) {
			state.screen = undefined;
			return chunk;
		}

		const known = state.screen;
		// Ink's erase moves the cursor back to row 1 of its frame: what follows lands there.
		state.screen = frame === '' ? [] : linesOf(frame);
		return known === undefined || frame === '' ? chunk : changedLines(known, state.screen);
	}

	if (screenChanging.test(chunk)) {
		state.screen = undefined;
		return chunk;
	}

	if (onlyControls.test(chunk)) return chunk;
	// A frame Ink wrote without erasing first: right after its own erase (the
	// screen is blank from row 1), it lands at row 1; anywhere else, unknown.
	state.screen = state.screen?.length === 0 ? linesOf(chunk) : undefined;
	return chunk;
}

/** The visible lines of a frame as Ink writes it (a trailing newline ends the last line). */
function linesOf(frame: string): string[] {
	const lines = frame.split('\n');
	if (frame.endsWith('\n')) lines.pop();
	return lines;
}

function changedLines(previous: string[], next: string[]): string {
	let out = '';
	const rows = Math.max(previous.length, next.length);
	for (let row = 0; row < rows; row++) {
		const line = next[row];
		if (line === previous[row]) continue;
		// erase first, then write: an erase after a line that fills the width would take its last character
		out += `${esc}${row + 1};1H${esc}2K${line ?? ''}`;
	}

	// where Ink's own write would have left the cursor: at the start of the row below the frame
	return `${out}${esc}${next.length + 1};1H`;
}

/** A stream that writes to `target` (in the alternate screen just entered), diffing Ink's frames; everything else reads through to `target`. */
export function diffingStdout(target: NodeJS.WriteStream): NodeJS.WriteStream {
	// The monitor has just entered the alternate screen: blank, the cursor at row 1.
	const state: FrameDiffState = {screen: []};
	// a resize can cut or move what is on the screen
	target.on('resize', () => {
		state.screen = undefined;
	});
	const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean =>
		(target.write as (...args: unknown[]) => boolean)(typeof chunk === 'string' ? diffWrite(state, chunk) : chunk, encoding, callback);

	return new Proxy(target, {
		get(object, property) {
			if (property === 'write') return write;
			const value: unknown = Reflect.get(object, property, object);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
		},
	});
}
