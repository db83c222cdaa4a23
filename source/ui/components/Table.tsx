import {Box} from 'ink';
import {Text} from './Text.js';
import {cell} from '../format.js';
import {useTheme} from '../theme.js';

export type Column = {header: string; width: number; align?: 'left' | 'right'; grow?: boolean};
type Colour = Parameters<ReturnType<typeof useTheme>['colour']>[0];
export type Cell = string | {text: string; colour?: Colour; bold?: boolean; dim?: boolean};

/** Column widths for the available width: fixed ones as given, the growing one takes the rest. */
export function layoutColumns(columns: Column[], width: number): number[] {
	const fixed = columns.reduce((sum, c) => sum + (c.grow ? 0 : c.width), 0) + columns.length; // one space before each
	return columns.map(c => (c.grow ? Math.max(c.width, width - fixed) : c.width));
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
	const widths = layoutColumns(props.columns, props.width - 1);
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
