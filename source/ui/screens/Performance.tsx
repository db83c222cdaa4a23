import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {chartWindows, type ChartWindow} from '../../monitor/monitorOptions.js';
import type {PerformanceRow} from '../../queries/performance.js';
import {Chart, chartNote, chartPoints} from '../components/Chart.js';
import {type Cell, type Column, Table} from '../components/Table.js';
import {useServices, useUi} from '../context.js';
import {ago, count, ms, percent} from '../format.js';
import {useNow} from '../hooks/useInterval.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {type Polled, usePoll} from '../hooks/usePoll.js';
import {useRemembered} from '../hooks/useRemembered.js';
import {useSelection} from '../hooks/useSelection.js';
import {useTheme} from '../theme.js';
import type {ScreenProps} from './types.js';

const columns: Column[] = [
	{header: 'operation', width: 12, grow: true},
	{header: 'calls', width: 6, align: 'right'},
	{header: 'ok', width: 7, align: 'right'},
	{header: 'avg', width: 7, align: 'right'},
	{header: 'p95', width: 7, align: 'right'},
	{header: 'max', width: 7, align: 'right'},
	{header: 'last', width: 8, align: 'right'},
];

function performanceCells(row: PerformanceRow, now: number): Cell[] {
	const flag = row.belowThreshold ? {colour: 'red' as const, bold: true} : {};
	return [
		{text: `${row.belowThreshold ? '! ' : ''}${row.operation}`, ...flag},
		count(row.calls),
		{text: percent(row.successRatePercent), ...flag},
		ms(row.avgMs),
		ms(row.p95Ms),
		ms(row.maxMs),
		ago(row.lastCallAt, now),
	];
}

export function Performance(props: ScreenProps & {defaultWindow: ChartWindow; table: Polled<PerformanceRow[]>}) {
	const {data} = useServices();
	const ui = useUi();
	const theme = useTheme();
	const now = useNow(ui.interval);
	const [window, setWindow] = useRemembered<ChartWindow>('performance.window', props.defaultWindow);
	const table = props.table;
	const rows = table.data ?? [];
	const tableHeight = Math.max(2, Math.min(rows.length + 1, Math.max(3, Math.floor((props.height - 1) / 2))));
	const selection = useSelection('performance.selected', rows.map(row => row.operation), Math.max(1, tableHeight - 1));
	const chartWidth = Math.floor(props.width / 2) - 1;
	const points = chartPoints(chartWidth);
	const series = usePoll(async () => data.latencySeries({window, points}), `${window}|${points}`, Math.max(ui.interval, 5000));
	useKeymap(
		['list', 'performance'],
		{
			...selection.handlers,
			window: () => setWindow(chartWindows[(chartWindows.indexOf(window) + 1) % chartWindows.length]!),
		},
		props.active,
	);
	const operation = selection.selectedId;
	const line = series.data?.operations.find(o => o.operation === operation);
	const below = rows.filter(r => r.belowThreshold).length;
	const chartHeight = Math.max(3, props.height - 1 - tableHeight);
	const note = chartNote(series, line !== undefined, `no calls of ${operation ?? ''} in the last ${window}`);
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold>Performance</Text>
				<Text dimColor> · last 24h · threshold {ui.threshold}% success</Text>
				{below > 0 ? (
					<Text bold color={theme.colour('red')}>
						{' '}
						· ! {below} below threshold
					</Text>
				) : null}
				{table.error && table.data ? <Text bold> (stale)</Text> : null}
			</Text>
			<Table
				columns={columns}
				rows={rows.map(row => performanceCells(row, now))}
				keys={rows.map(row => row.operation)}
				width={props.width}
				height={tableHeight}
				selected={selection.selected}
				empty={table.loading ? 'loading…' : table.error && !table.data ? `cannot load: ${table.error}` : 'no operations logged in the last 24 h'}
			/>
			{operation ? (
				<Box height={chartHeight} overflow="hidden">
					<Box width={chartWidth + 1} flexDirection="column">
						<Chart
							title={`p95 ${operation} · ${window} (w)`}
							values={line?.p95Ms ?? []}
							height={chartHeight}
							format={value => ms(value)}
							colour={theme.color ? 'magenta' : undefined}
							note={note}
						/>
					</Box>
					<Box width={chartWidth + 1} flexDirection="column">
						<Chart
							title={`calls/min ${operation} · ${window}`}
							values={line?.callsPerMinute ?? []}
							height={chartHeight}
							format={value => (value < 10 ? value.toFixed(1) : count(value))}
							colour={theme.color ? 'blue' : undefined}
							note={note}
						/>
					</Box>
				</Box>
			) : null}
		</Box>
	);
}
