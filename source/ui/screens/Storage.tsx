// Storage (7): the Storage panel of snapshot on screen (source/queries/storage.ts):
// alarms with their suggestion first, then every table with its size, indexes,
// rows, growth per day, what the next sweep removes and its retention, the
// limits with the days left, and what could not be read.
import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {ceilingLine, databaseLine, storageCells, type StoragePanel} from '../../queries/storage.js';
import {type Cell, type Column, Table} from '../components/Table.js';
import {useServices, useUi} from '../context.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {usePoll} from '../hooks/usePoll.js';
import {useSelection} from '../hooks/useSelection.js';
import {useTheme} from '../theme.js';
import type {ScreenProps} from './types.js';

/** Sizes, estimates and growth change slowly: read at most every 10 s. */
export const storageIntervalMs = 10_000;

const columns: Column[] = [
	{header: 'table', width: 18, grow: true},
	{header: 'size', width: 8, align: 'right'},
	{header: 'indexes', width: 8, align: 'right'},
	{header: 'rows', width: 9, align: 'right'},
	{header: 'growth', width: 10, align: 'right'},
	{header: 'sweep', width: 7, align: 'right'},
	{header: 'kept', width: 12},
];

function cells(table: StoragePanel['tables'][number]): Cell[] {
	const c = storageCells(table);
	return [
		table.table,
		c.size,
		c.indexes,
		c.rows,
		{text: c.growth, dim: c.growth === 'steady' || c.growth === '-'},
		{text: c.sweep, bold: c.sweep !== '-', colour: c.sweep === 'no read' ? 'yellow' : undefined},
		c.kept,
	];
}

export function Storage(props: ScreenProps & {limitBytes?: number | undefined}) {
	const {data} = useServices();
	const ui = useUi();
	const theme = useTheme();
	const panel = usePoll(async () => data.storage({limitBytes: props.limitBytes}), String(props.limitBytes), Math.max(ui.interval, storageIntervalMs));
	const storage = panel.data;
	const tables = storage?.tables ?? [];
	const below = storage ? [...storage.ceilings.map(ceilingLine), ...storage.notes] : [];
	const alarms = storage?.alarms ?? [];
	const tableHeight = Math.max(3, props.height - 1 - alarms.length * 2 - Math.min(below.length, Math.max(0, props.height - 6 - alarms.length * 2)));
	const selection = useSelection('storage.selected', tables.map(t => t.table), Math.max(1, tableHeight - 1));
	useKeymap(['list'], selection.handlers, props.active);
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold>Storage</Text>
				<Text dimColor> · {storage ? databaseLine(storage) : 'measuring…'}</Text>
				{panel.error && panel.data ? <Text bold> (stale)</Text> : null}
			</Text>
			{alarms.map(alarm => (
				<Box key={alarm.message} flexDirection="column">
					<Text wrap="truncate" bold color={theme.colour('red')}>
						! ALARM: {alarm.message}
					</Text>
					<Text wrap="truncate">  suggestion: {alarm.suggestion}</Text>
				</Box>
			))}
			<Table
				columns={columns}
				rows={tables.map(cells)}
				keys={tables.map(t => t.table)}
				width={props.width}
				height={tableHeight}
				selected={selection.selected}
				empty={panel.loading ? 'loading…' : panel.error && !panel.data ? `cannot load: ${panel.error}` : 'no tables'}
			/>
			{below.map(line => (
				<Text key={line} wrap="truncate" dimColor>
					{line}
				</Text>
			))}
		</Box>
	);
}
