import {Box} from 'ink';
import {Text} from './Text.js';
import {cell} from '../format.js';
import {inert} from '../../text/inert.js';
import {useTheme} from '../theme.js';

/**
 * A column. Widths follow the content: each column is as wide as its widest
 * cell (or header); room left over goes to the `grow` column. When the row does
 * not fit, text columns are cut, the one with the lowest `cut` first (default 1),
 * each down to `width` before the next is touched; right-aligned (number)
 * columns are never cut.
 */
export type Column = {header: string; width: number; align?: 'left' | 'right'; grow?: boolean; cut?: number};
type Colour = Parameters<ReturnType<typeof useTheme>['colour']>[0];
export type Cell = string | {text: string; colour?: Colour; bold?: boolean; dim?: boolean};

const cellText = (value: Cell | undefined) => (value === undefined ? '' : typeof value === 'string' ? value : value.text);

/** Column widths for the available width, sized to the rows' content (see Column). */
export function layoutColumns(columns: Column[], width: number, rows: Cell[][] = []): number[] {
	const natural = columns.map((c, i) => Math.max(c.header.length, ...rows.map(row => inert(cellText(row[i])).length)));
	const widths = [...natural];
	const used = () => widths.reduce((sum, w) => sum + w, 0) + columns.length; // one space before each
	if (used() <= width) {
		const grow = columns.findIndex(c => c.grow);
		if (grow !== -1) widths[grow]! += width - used();
		return widths;
	}

	const order = columns
		.map((c, i) => ({i, cut: c.cut ?? 1}))
		.filter(({i}) => columns[i]!.align !== 'right')
		.sort((a, b) => a.cut - b.cut || natural[b.i]! - natural[a.i]!);
	for (const {i} of order) {
		const excess = used() - width;
		if (excess <= 0) break;
		widths[i] = Math.max(Math.min(columns[i]!.width, natural[i]!), widths[i]! - excess);
	}

	return widths;
}

/** First visible row, so that the selected one stays in view. */
export function windowStart(selected: number, visible: number, total: number): number {
	if (total <= visible) return 0;
	return Math.min(Math.max(0, selected - visible + 1), total - visible);
}

/** A list with a header row and a selection, cut to `height` rows. */
export function Table(props: {
	columns: Column[];
	rows: Cell[][];
	/** Row keys (stable identities). */
	keys: string[];
	width: number;
	height: number;
	selected?: number;
	empty?: string;
}) {
	const theme = useTheme();
	const widths = layoutColumns(props.columns, props.width - 1, props.rows);
	const visible = Math.max(0, props.height - 1);
	const selected = props.selected ?? -1;
	const start = windowStart(Math.max(selected, 0), visible, props.rows.length);
	const shown = props.rows.slice(start, start + visible);
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text bold wrap="truncate">
				{' '}
				{props.columns.map((c, i) => ` ${cell(c.header, widths[i]!, c.align)}`).join('')}
			</Text>
			{props.rows.length === 0 && props.empty ? (
				<Text dimColor wrap="truncate">
					{'  '}
					{props.empty}
				</Text>
			) : null}
			{shown.map((row, index) => {
				const isSelected = start + index === selected;
				return (
					<Text key={props.keys[start + index]} wrap="truncate" inverse={isSelected && theme.color} bold={isSelected && !theme.color}>
						{isSelected ? '›' : ' '}
						{row.map((value, i) => {
							const c = typeof value === 'string' ? {text: value} : value;
							const text = ` ${cell(c.text, widths[i]!, props.columns[i]!.align)}`;
							return c.colour || c.bold || c.dim ? (
								<Text key={i} color={c.colour ? theme.colour(c.colour) : undefined} bold={c.bold} dimColor={c.dim}>
									{text}
								</Text>
							) : (
								text
							);
						})}
					</Text>
				);
			})}
		</Box>
	);
}
