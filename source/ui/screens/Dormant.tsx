import {Box} from 'ink';
import {Text} from '../components/Text.js';
import type {DormantRow} from '../../queries/dormant.js';
import {type Cell, type Column, Table} from '../components/Table.js';
import {useServices, useUi} from '../context.js';
import {hours, until} from '../format.js';
import {useNow} from '../hooks/useInterval.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {usePoll} from '../hooks/usePoll.js';
import {useSelection} from '../hooks/useSelection.js';
import type {ScreenProps} from './types.js';

const columns: Column[] = [
	// cut first: the policy, then the session key, then what happens next
	{header: 'session', width: 14, grow: true, cut: 2},
	{header: 'state', width: 9, cut: 4},
	{header: 'policy', width: 8, cut: 1},
	{header: 'idle', width: 6, align: 'right'},
	{header: 'next', width: 16, cut: 3},
];

const stepLabels = {expire: 'expires', dormant: 'goes dormant', archive: 'archived'} as const;

export function nextStep(row: DormantRow, now: number): string {
	if (!row.nextStep) return row.isDormant ? 'stays dormant' : '-';
	const step = stepLabels[row.nextStep];
	return row.overdue ? `${step} at next sweep` : `${step} ${until(row.nextDueAt, now)}`;
}

function dormantCells(row: DormantRow, now: number): Cell[] {
	return [
		row.sessionKey,
		{text: row.isDormant ? 'dormant' : row.status, bold: row.isDormant},
		row.retentionPolicy,
		hours(row.hoursSinceActivity),
		{text: nextStep(row, now), bold: row.overdue, colour: row.overdue ? 'red' : undefined},
	];
}

export function Dormant(props: ScreenProps) {
	const {data} = useServices();
	const ui = useUi();
	const now = useNow(ui.interval);
	const limit = 200;
	const list = usePoll(async () => data.dormantSessions({limit}), String(limit), ui.interval);
	const rows = list.data ?? [];
	const selection = useSelection('dormant.selected', rows.map(row => row.id), Math.max(1, props.height - 2));
	// the selected session by id: Enter, r and a act on it even when the list re-sorted since the last frame
	const current = rows.find(row => row.id === selection.selectedId);
	useKeymap(
		['list', 'dormant'],
		{
			...selection.handlers,
			open: () => current && ui.openSession(current.id),
			reactivate: () => current && ui.requestAction({kind: 'reactivate', sessionId: current.id, sessionKey: current.sessionKey}, list.refresh),
			archive: () => current && ui.requestAction({kind: 'archive', sessionId: current.id, sessionKey: current.sessionKey}, list.refresh),
			sweep: () => ui.requestAction({kind: 'sweep'}, list.refresh),
		},
		props.active,
	);
	const dormant = rows.filter(r => r.isDormant).length;
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold>Dormant</Text>
				<Text dimColor>
					{' '}
					· {dormant} dormant · {rows.length - dormant} due for a lifecycle step within 6h
				</Text>
				{list.error && list.data ? <Text bold> (stale)</Text> : null}
			</Text>
			<Table
				columns={columns}
				rows={rows.map(row => dormantCells(row, now))}
				keys={rows.map(row => row.id)}
				width={props.width}
				height={props.height - 1}
				selected={selection.selected}
				empty={list.loading ? 'loading…' : list.error && !list.data ? `cannot load: ${list.error}` : 'no dormant sessions, none due soon'}
			/>
		</Box>
	);
}
