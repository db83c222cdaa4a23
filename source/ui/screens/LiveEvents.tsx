import {Box, Text} from 'ink';
import {useMemo} from 'react';
import type {LifecycleEvent} from '../../feed/eventFeed.js';
import {agents, eventSummary} from '../../feed/eventText.js';
import {type Cell, type Column, Table} from '../components/Table.js';
import {useUi} from '../context.js';
import {clock} from '../format.js';
import type {EventBufferView} from '../hooks/useEventBuffer.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {useRemembered} from '../hooks/useRemembered.js';
import {eventStyle} from '../theme.js';
import type {ScreenProps} from './types.js';

/** Events kept for the view: enough to fill any screen after a filter. */
export const eventCapacity = 500;

const columns: Column[] = [
	{header: 'time', width: 8},
	{header: 'event', width: 13},
	{header: 'session', width: 18},
	{header: 'agents', width: 16},
	{header: 'details', width: 10, grow: true},
];

export function matchesFilter(event: LifecycleEvent, filter: string): boolean {
	if (filter === '') return true;
	const wanted = filter.toLowerCase();
	return [event.eventType, eventStyle[event.eventType].label, event.sessionKey ?? event.sessionId, event.agentFrom ?? '', event.agentTo ?? ''].some(
		value => value.toLowerCase().includes(wanted),
	);
}

export function eventCells(event: LifecycleEvent): Cell[] {
	const style = eventStyle[event.eventType];
	return [
		clock(event.createdAt),
		{text: `${style.symbol} ${style.label}`, colour: style.colour},
		event.sessionKey ?? event.sessionId,
		agents(event),
		eventSummary(event),
	];
}

/** The buffer lives in the App (always mounted), so switching screens loses no event. */
export function LiveEvents(props: ScreenProps & {view: EventBufferView; paused: boolean; setPaused(update: (paused: boolean) => boolean): void}) {
	const ui = useUi();
	const [filter, setFilter] = useRemembered('events.filter', '');
	const {paused, setPaused} = props;
	const {events, newWhilePaused} = props.view;
	useKeymap(
		['events'],
		{
			filter: () => ui.prompt({label: 'filter /', initial: filter, onChange: setFilter, onSubmit: setFilter}),
			clearFilter: () => setFilter(''),
			pause: () => setPaused(p => !p),
		},
		props.active,
	);
	const shown = useMemo(() => {
		const rows: LifecycleEvent[] = [];
		for (const event of events) {
			if (rows.length >= props.height) break;
			if (matchesFilter(event, filter)) rows.push(event);
		}

		return rows;
	}, [events, filter, props.height]);
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold>Live events</Text>
				<Text dimColor> newest first</Text>
				{filter ? <Text> · filter: <Text bold>{filter}</Text></Text> : null}
				{paused ? (
					<Text bold inverse>
						{' '}PAUSED +{newWhilePaused} new (Space resumes){' '}
					</Text>
				) : null}
			</Text>
			<Table
				columns={columns}
				rows={shown.map(eventCells)}
				keys={shown.map(e => e.id)}
				width={props.width}
				height={props.height - 1}
				empty={filter ? `no event matches '${filter}' yet` : 'waiting for lifecycle events…'}
			/>
		</Box>
	);
}
