import {Box} from 'ink';
import {Text} from './Text.js';
import type {EventCounts} from '../../queries/events.js';
import {type EventType, eventStyle, eventTypes, useTheme} from '../theme.js';

function rate(value: number): string {
	if (value === 0) return '0';
	if (value < 10) return value.toFixed(1);
	return String(Math.round(value));
}

/** Events per minute by type over the last few minutes. */
const shortLabels: Record<EventType, string> = {
	created: 'new',
	status_changed: 'status',
	dormant: 'dorm',
	reactivated: 'react',
	expired: 'exp',
	archived: 'arch',
};

export function RatesBar(props: {counts: EventCounts | undefined; stale: boolean; width: number}) {
	const theme = useTheme();
	// Full labels need about 100 columns; below that, short ones keep every count visible.
	const wide = props.width >= 104;
	return (
		<Box width={props.width} height={1} overflow="hidden">
			<Text dimColor wrap="truncate">
				events/min{props.counts ? ` (${props.counts.sinceMinutes}m)` : ''}{' '}
			</Text>
			{eventTypes.map(type => {
				const style = eventStyle[type];
				return (
					<Text key={type} wrap="truncate">
						{' '}
						<Text color={theme.colour(style.colour)}>
							{style.symbol} {wide ? style.label : shortLabels[type]}
						</Text>{' '}
						<Text bold>{props.counts ? rate(props.counts.perMinute[type]) : '-'}</Text>
					</Text>
				);
			})}
			{props.stale ? (
				<Text dimColor wrap="truncate">
					{' '}
					(stale)
				</Text>
			) : null}
		</Box>
	);
}
