import {Box} from 'ink';
import {Text} from './Text.js';
import {isSpecEventType, type SpecEventType} from '../../feed/eventFeed.js';
import {otherEventSymbol} from '../../feed/eventText.js';
import type {EventCounts} from '../../queries/events.js';
import {eventStyle, eventTypes, useTheme} from '../theme.js';

function rate(value: number): string {
	if (value === 0) return '0';
	if (value < 10) return value.toFixed(1);
	return String(Math.round(value));
}

/** Events per minute by type over the last few minutes. */
const shortLabels: Record<SpecEventType, string> = {
	created: 'new',
	status_changed: 'status',
	dormant: 'dorm',
	reactivated: 'react',
	expired: 'exp',
	archived: 'arch',
};

/** Events of every type other than the spec's six, per minute (the handoff server's 'expiration_scheduled', …). */
export function otherPerMinute(counts: EventCounts): number {
	let sum = 0;
	for (const [type, value] of Object.entries(counts.perMinute)) if (!isSpecEventType(type)) sum += value;
	return Math.round(sum * 100) / 100;
}

export function RatesBar(props: {counts: EventCounts | undefined; stale: boolean; width: number}) {
	const theme = useTheme();
	// Full labels need about 100 columns; below that, short ones keep every count visible.
	const wide = props.width >= 104;
	const title = `events/min${props.counts ? ` (${props.counts.sinceMinutes}m)` : ''} `;
	const segments = eventTypes.map(type => {
		const style = eventStyle[type];
		const label = `${style.symbol} ${wide ? style.label : shortLabels[type]}`;
		const value = props.counts ? rate(props.counts.perMinute[type]) : '-';
		return {type, label, value, colour: style.colour};
	});
	const staleText = props.stale ? ' (stale)' : '';
	// Whole segments only: one that does not fit is left out, never cut in half ('x exp 0.').
	let room = props.width - title.length - staleText.length;
	const whole = segments.filter(s => {
		room -= 1 + s.label.length + 1 + s.value.length;
		return room >= 0;
	});
	// Other types' events: one more count, only when there are some and it fits
	// beside the six (and the stale mark) - the six are never pushed off.
	const other = props.counts ? otherPerMinute(props.counts) : 0;
	const used = title.length + segments.reduce((sum, s) => sum + 1 + s.label.length + 1 + s.value.length, 0) + staleText.length;
	const otherSegment = other > 0 ? {label: `${otherEventSymbol} other`, value: rate(other)} : undefined;
	const showOther = otherSegment !== undefined && used + 1 + otherSegment.label.length + 1 + otherSegment.value.length <= props.width;
	return (
		<Box width={props.width} height={1} overflow="hidden">
			<Text dimColor wrap="truncate">
				{title}
			</Text>
			{whole.map(segment => (
				<Text key={segment.type} wrap="truncate">
					{' '}
					<Text color={theme.colour(segment.colour)}>{segment.label}</Text> <Text bold>{segment.value}</Text>
				</Text>
			))}
			{showOther && otherSegment ? (
				<Text wrap="truncate">
					{' '}
					{otherSegment.label} <Text bold>{otherSegment.value}</Text>
				</Text>
			) : null}
			{props.stale ? (
				<Text dimColor wrap="truncate">
					{staleText}
				</Text>
			) : null}
		</Box>
	);
}
