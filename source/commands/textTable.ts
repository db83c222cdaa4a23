// Aligned plain-text tables for snapshot: columns as wide as their content,
// numbers right-aligned and never cut; when a row does not fit the width (80 by
// default) the least useful flexible column is cut first, with '…'.
// Every cell is made inert (source/text/inert.ts) before it is measured or cut.
import {inert} from '../text/inert.js';
import {age} from '../ui/format.js';

export type Column = {
	header: string;
	align?: 'left' | 'right';
	/** May be cut to fit: a number orders the cuts (lowest first, down to `min` before the next); true is 1. */
	flexible?: boolean | number;
	/** The narrowest a cut leaves it (default 6): the monitor's column width. */
	min?: number;
};

function truncate(text: string, width: number): string {
	if (text.length <= width) return text;
	if (width <= 1) return text.slice(0, width);
	return `${text.slice(0, width - 1)}…`;
}

export function textTable(columns: Column[], given: string[][], maxWidth = 80): string[] {
	const rows = given.map(row => row.map(cell => inert(cell)));
	const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map(row => (row[i] ?? '').length)));
	const gap = 2;
	let total = widths.reduce((sum, w) => sum + w, 0) + gap * (columns.length - 1);
	// Cut flexible columns in their order (the monitor's, source/ui/components/Table.tsx; the same order: widest first),
	// each down to its floor before the next; then, if the row still does not fit, below the floors down to 6, in the same order.
	const order = columns
		.map((column, i) => ({i, rank: column.flexible === true ? 1 : typeof column.flexible === 'number' ? column.flexible : undefined}))
		.filter((c): c is {i: number; rank: number} => c.rank !== undefined)
		.sort((a, b) => a.rank - b.rank || widths[b.i]! - widths[a.i]!);
	for (const floor of [(i: number) => columns[i]!.min ?? 6, () => 6]) {
		for (const {i} of order) {
			if (total <= maxWidth) break;
			const cut = Math.max(0, Math.min(total - maxWidth, widths[i]! - Math.max(6, floor(i))));
			widths[i]! -= cut;
			total -= cut;
		}
	}

	const line = (cells: string[]) =>
		cells
			.map((cell, i) => {
				const text = truncate(cell, widths[i]!);
				return columns[i]!.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
			})
			.join(' '.repeat(gap))
			.trimEnd();
	return [line(columns.map(c => inert(c.header))), ...rows.map(row => line(row))];
}

/** The monitor's one human duration ('12s', '3m', '2h 5m'), of a span either way. */
export function duration(ms: number): string {
	return age(Math.abs(ms));
}

const blocks = '▁▂▃▄▅▆▇█';

/** A one-line sparkline; gaps (null) are blank. */
export function sparkline(values: Array<number | null>): string {
	const present = values.filter((v): v is number => v !== null);
	if (present.length === 0) return ' '.repeat(values.length);
	const min = Math.min(...present);
	const max = Math.max(...present);
	return values
		.map(v => {
			if (v === null) return ' ';
			if (max === min) return blocks[3];
			return blocks[Math.round(((v - min) / (max - min)) * (blocks.length - 1))];
		})
		.join('');
}
