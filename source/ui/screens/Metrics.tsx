import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {chartWindows, type ChartWindow} from '../../monitor/monitorOptions.js';
import {counterRatePerMinute, type MetricLatest} from '../../queries/metrics.js';
import {Chart, chartNote, chartPoints} from '../components/Chart.js';
import {type Cell, type Column, Table} from '../components/Table.js';
import {useServices, useUi} from '../context.js';
import {ago, compact, metric} from '../format.js';
import {useNow} from '../hooks/useInterval.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {usePoll} from '../hooks/usePoll.js';
import {useRemembered} from '../hooks/useRemembered.js';
import {useSelection} from '../hooks/useSelection.js';
import {useTheme} from '../theme.js';
import type {ScreenProps} from './types.js';

const columns: Column[] = [
	// cut first: the labels, then the name
	{header: 'metric', width: 14, cut: 2},
	{header: 'labels', width: 10, grow: true, cut: 1},
	{header: 'type', width: 7, cut: 3},
	{header: 'value', width: 9, align: 'right'},
	{header: 'seen', width: 8, align: 'right'},
];

const metricKey = (row: MetricLatest) => `${row.name}|${JSON.stringify(row.labels)}`;

function metricCells(row: MetricLatest, now: number): Cell[] {
	return [row.name, compact(row.labels), row.type, metric(row.value), ago(row.recordedAt, now)];
}

export function Metrics(props: ScreenProps & {defaultWindow: ChartWindow}) {
	const {data} = useServices();
	const ui = useUi();
	const theme = useTheme();
	const now = useNow(ui.interval);
	const [window, setWindow] = useRemembered<ChartWindow>('metrics.window', props.defaultWindow);
	const latest = usePoll(async () => data.metricsLatest(), 'latest', ui.interval);
	const rows = latest.data ?? [];
	const tableHeight = Math.max(2, Math.min(rows.length + 1, Math.max(3, Math.floor((props.height - 1) / 2))));
	const selection = useSelection('metrics.selected', rows.map(metricKey), Math.max(1, tableHeight - 1));
	const chosen = rows.find(row => metricKey(row) === selection.selectedId);
	const points = chartPoints(props.width - 1);
	const chosenKey = chosen ? metricKey(chosen) : '';
	const series = usePoll(
		async () => (chosen ? data.metricSeries({name: chosen.name, labels: chosen.labels, window, points}) : undefined),
		`${chosenKey}|${window}|${points}`,
		Math.max(ui.interval, 5000),
		chosen !== undefined,
	);
	useKeymap(
		['list', 'metrics'],
		{
			...selection.handlers,
			window: () => setWindow(chartWindows[(chartWindows.indexOf(window) + 1) % chartWindows.length]!),
		},
		props.active,
	);
	const chartHeight = Math.max(3, props.height - 1 - tableHeight);
	// a counter only grows: chart how fast (per minute), not its running total
	const counter = chosen?.type === 'counter';
	const current = series.data && series.data.name === chosen?.name ? series.data : undefined;
	const values = current ? (counter ? counterRatePerMinute(current.last, current.bucketMs) : current.avg) : [];
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold>Metrics</Text>
				<Text dimColor> · latest value per name and labels (last 24h)</Text>
				{latest.error && latest.data ? <Text bold> (stale)</Text> : null}
			</Text>
			<Table
				columns={columns}
				rows={rows.map(row => metricCells(row, now))}
				keys={rows.map(metricKey)}
				width={props.width}
				height={tableHeight}
				selected={selection.selected}
				empty={latest.loading ? 'loading…' : latest.error && !latest.data ? `cannot load: ${latest.error}` : 'no metrics recorded in the last 24 h'}
			/>
			{chosen ? (
				<Chart
					title={`${chosen.name} ${compact(chosen.labels)} · ${counter ? 'increase per minute' : 'avg per bucket'} · ${window} (w)`}
					values={values}
					height={chartHeight}
					format={value => metric(value)}
					colour={theme.color ? 'cyan' : undefined}
					note={chartNote(
						series,
						current !== undefined && values.some(value => value !== null),
						// a counter's increase needs two buckets with a value: one recorded value is not a rate yet
						counter && current !== undefined && current.last.some(value => value !== null)
							? 'one minute of values so far: an increase per minute needs two'
							: `no values in the last ${window}`,
					)}
				/>
			) : null}
		</Box>
	);
}
