import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useMemo} from 'react';
import type {LifecycleEvent} from '../../feed/eventFeed.js';
import {agents, eventSummary} from '../../feed/eventText.js';
import {type Cell, type Column, Table, windowStart} from '../components/Table.js';
import {useUi} from '../context.js';
import {clock} from '../format.js';
import type {EventBufferView} from '../hooks/useEventBuffer.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {useRemembered} from '../hooks/useRemembered.js';
import {useSelection} from '../hooks/useSelection.js';
import {styleOf} from '../theme.js';
import type {ScreenProps} from './types.js';

/** Events kept for the view: enough to fill any screen after a filter. */
export const eventCapacity = 500;

/** The event column: the spec's labels fit 13; a longer type of some writer's own ('· expiration_scheduled') widens it, up to 22. */
const eventWidth = {min: 13, max: 22};

function columnsFor(events: LifecycleEvent[]): Column[] {
	let event = eventWidth.min;
	for (const e of events) event = Math.max(event, Math.min(eventWidth.max, styleOf(e.eventType).label.length + 2));
	return [
		{header: 'time', width: 8},
		{header: 'event', width: event},
		// cut first: details, then agents, then the session key
		{header: 'session', width: 12, cut: 3},
		{header: 'agents', width: 10, cut: 2},
		{header: 'details', width: 10, grow: true, cut: 1},
	];
}

export function matchesFilter(event: LifecycleEvent, filter: string): boolean {
	if (filter === '') return true;
	const wanted = filter.toLowerCase();
	return [event.eventType, styleOf(event.eventType).label, event.sessionKey ?? event.sessionId, event.agentFrom ?? '', event.agentTo ?? ''].some(
		value => value.toLowerCase().includes(wanted),
	);
}

export function eventCells(event: LifecycleEvent): Cell[] {
	const style = styleOf(event.eventType);
	return [
		clock(event.createdAt),
		style.colour ? {text: `${style.symbol} ${style.label}`, colour: style.colour} : `${style.symbol} ${style.label}`,
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
	// every buffered event that passes the filter: the list scrolls back through all of them
	const shown = useMemo(() => (filter === '' ? events : events.filter(event => matchesFilter(event, filter))), [events, filter]);
	const columns = useMemo(() => columnsFor(shown), [shown]);
	const selection = useSelection('events.selected', shown.map(event => event.id), Math.max(1, props.height - 2));
	// Live, the newest row is at the top and nothing is highlighted. Moving down
	// the list pauses it (rows would slide away under the cursor otherwise);
	// Space resumes at the newest.
	const older = (move: () => void) => () => {
		if (!paused) {
			setPaused(() => true);
			selection.setSelected(0);
		}
		move();
	};
	// live, nothing is highlighted: moving up stays at the newest
	const newer = (move: () => void) => () => (paused ? move() : selection.setSelected(0));
	useKeymap(
		['list', 'events'],
		{
			filter: () => ui.prompt({label: 'filter /', initial: filter, onChange: setFilter, onSubmit: setFilter}),
			clearFilter: () => setFilter(''),
			pause: () => {
				if (paused) selection.setSelected(0);
				setPaused(p => !p);
			},
			up: newer(selection.handlers.up),
			pageUp: newer(selection.handlers.pageUp),
			top: newer(selection.handlers.top),
			down: older(selection.handlers.down),
			pageDown: older(selection.handlers.pageDown),
			bottom: older(selection.handlers.bottom),
			open: () => {
				const event = paused ? shown.find(e => e.id === selection.selectedId) : shown[0];
				if (event) ui.openSession(event.sessionId);
			},
		},
		props.active,
	);
	// cells for the rows in view only (the buffer holds up to eventCapacity)
	const visible = Math.max(1, props.height - 2);
	const start = windowStart(paused ? selection.selected : 0, visible, shown.length);
	const inView = shown.slice(start, start + visible);
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
				{paused && shown.length > 0 ? (
					<Text dimColor>
						{' '}
						{selection.selected + 1}/{shown.length}
					</Text>
				) : null}
			</Text>
			<Table
				columns={columns}
				rows={inView.map(eventCells)}
				keys={inView.map(e => e.id)}
				width={props.width}
				height={props.height - 1}
				selected={paused ? selection.selected - start : undefined}
				empty={filter ? `no event matches '${filter}' yet` : 'waiting for lifecycle events…'}
			/>
		</Box>
	);
}
