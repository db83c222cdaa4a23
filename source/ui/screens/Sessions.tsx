import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {sessionSorts, type SessionRow, type SessionSort} from '../../queries/sessions.js';
import {type Cell, type Column, Table} from '../components/Table.js';
import {useServices, useUi} from '../context.js';
import {age, ago, count, hours, plural} from '../format.js';
import {landing} from '../hooks/beat.js';
import {useNow} from '../hooks/useInterval.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {usePoll} from '../hooks/usePoll.js';
import {useRemembered} from '../hooks/useRemembered.js';
import {useSelection} from '../hooks/useSelection.js';
import {SessionDetailView} from './SessionDetail.js';
import type {ScreenProps} from './types.js';

/** f cycles through these: every status the handoff server and the simulator write, and the two derived states. */
export const statusFilters = [undefined, 'active', 'paused', 'dormant', 'completed', 'expired', 'cancelled', 'archived'] as const;

const sortLabels: Record<SessionSort, string> = {
	last_activity: 'last activity',
	created: 'created',
	context: 'context entries',
	handoffs: 'handoffs',
};

const columns: Column[] = [
	// cut first: agents, then the session key
	{header: 'session', width: 14, grow: true, cut: 2},
	{header: 'agents', width: 12, cut: 1},
	{header: 'status', width: 8, cut: 3},
	// since the last activity (one column: an 'active … ago' beside it said the same)
	{header: 'idle', width: 5, align: 'right'},
	{header: 'created', width: 7, align: 'right'},
	{header: 'ctx', width: 5, align: 'right'},
	// number columns are never cut: the header is whole at every width
	{header: 'handoffs', width: 8, align: 'right'},
];

export function sessionState(row: Pick<SessionRow, 'status' | 'isDormant' | 'archivedAt'>): string {
	if (row.archivedAt) return 'archived';
	if (row.isDormant) return 'dormant';
	return row.status;
}

/** Time since the session's last activity (the view's measure when neither time is set). */
function idleFor(row: SessionRow, now: number): string {
	const since = row.lastActivityAt ?? row.updatedAt;
	return since ? age(now - since.getTime()) : hours(row.hoursSinceActivity);
}

function sessionCells(row: SessionRow, now: number): Cell[] {
	const state = sessionState(row);
	return [
		row.sessionKey,
		row.agentTo ? `${row.agentFrom}→${row.agentTo}` : row.agentFrom,
		{text: state, dim: state === 'archived', bold: state === 'dormant'},
		idleFor(row, now),
		ago(row.createdAt, now),
		count(row.contextCount),
		count(row.handoffCount),
	];
}

export function Sessions(props: ScreenProps) {
	const {data} = useServices();
	const ui = useUi();
	const now = useNow(ui.interval);
	const [sort, setSort] = useRemembered<SessionSort>('sessions.sort', 'last_activity');
	const [status, setStatus] = useRemembered<string | undefined>('sessions.status', undefined);
	const [detailId, setDetailId] = useRemembered<string | undefined>('sessions.detail', undefined);
	const pageSize = Math.max(1, props.height - 2);
	const [total, setTotal] = useRemembered('sessions.total', 0);
	// The page on screen (it stays while the next one loads) and where it starts.
	const [loaded, setLoaded] = useRemembered<{ids: string[]; offset: number}>('sessions.loaded', {ids: [], offset: 0});
	// a selected session that moved to another page (it became active, others did): the page follows it
	const selection = useSelection('sessions.selected', loaded.ids, pageSize, {
		base: loaded.offset,
		count: total,
		locate: async id => data.sessionPosition({id, sort, ...(status ? {status} : {})}),
	});
	const offset = Math.floor(selection.selected / pageSize) * pageSize;
	const page = usePoll(
		async () => {
			const result = await data.sessionsPage({sort, ...(status ? {status} : {}), limit: pageSize, offset});
			// in the frame of the page's own answer (landing goes with the answers in flight, this one's too)
			landing.land(() => {
				setTotal(result.total);
				setLoaded({ids: result.rows.map(row => row.id), offset});
			});
			return {...result, offset};
		},
		`${sort}|${status ?? ''}|${pageSize}|${offset}`,
		ui.interval,
		detailId === undefined,
	);
	const rows = page.data?.rows ?? [];
	const listActive = props.active && detailId === undefined;
	useKeymap(
		['list', 'sessions'],
		{
			...selection.handlers,
			// the selected session by id, wherever the last refresh moved it
			open: () => {
				const id = selection.selectedId ?? rows[selection.selected - (page.data?.offset ?? offset)]?.id; // (or the row the › is on while its page loads)
				if (id) setDetailId(id);
			},
			sort: () => setSort(sessionSorts[(sessionSorts.indexOf(sort) + 1) % sessionSorts.length]!),
			cycleStatus: () => {
				setStatus(statusFilters[(statusFilters.indexOf(status as (typeof statusFilters)[number]) + 1) % statusFilters.length]);
				selection.restart();
			},
			filter: () =>
				ui.prompt({
					label: 'status /',
					initial: '',
					onSubmit: text => {
						setStatus(text.trim() === '' ? undefined : text.trim().toLowerCase());
						selection.restart();
					},
				}),
			clearFilter: () => setStatus(undefined),
		},
		listActive,
	);

	if (detailId !== undefined) {
		return (
			<SessionDetailView
				{...props}
				id={detailId}
				onClose={() => {
					setDetailId(undefined);
					ui.sessionClosed();
				}}
			/>
		);
	}

	const pages = Math.max(1, Math.ceil(total / pageSize));
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold>Sessions</Text>
				<Text> · sort: </Text>
				<Text bold>{sortLabels[sort]}</Text>
				<Text> · status: </Text>
				<Text bold>{status ?? 'all'}</Text>
				<Text dimColor>
					{' '}
					· {plural(total, 'session')} · page {Math.floor(offset / pageSize) + 1}/{pages}
				</Text>
				{page.error && page.data ? <Text bold> (stale)</Text> : null}
			</Text>
			<Table
				columns={columns}
				rows={rows.map(row => sessionCells(row, now))}
				keys={rows.map(row => row.id)}
				width={props.width}
				height={props.height - 1}
				selected={selection.locating ? -1 : selection.selected - (page.data?.offset ?? offset)}
				empty={page.loading ? 'loading…' : page.error && !page.data ? `cannot load: ${page.error}` : 'no sessions'}
			/>
		</Box>
	);
}
