import {Box} from 'ink';
import {Text} from './Text.js';
import type {ConnectionStatus} from '../context.js';
import {age} from '../format.js';
import {useNow} from '../hooks/useInterval.js';
import {useTheme} from '../theme.js';

function retryIn(status: {retryInMs?: number | undefined; at: number}, now: number): string {
	if (status.retryInMs === undefined) return '';
	const left = Math.max(0, Math.ceil((status.at + status.retryInMs - now) / 1000));
	return ` — retrying in ${left}s`;
}

/** One line: is the monitor connected, and how old is what it shows; an alarm first, while connected. */
export function StatusLine(props: {status: ConnectionStatus; width: number; schemaCurrent?: boolean | undefined; alarm?: string | undefined}) {
	const theme = useTheme();
	const {database, feed} = props.status;
	const down = database.state !== 'connected';
	const feedDown = feed !== undefined && feed.state !== 'live';
	// Ticks only while the line shows a time (a countdown, an age): a live
	// monitor at rest does not redraw every second.
	const ticking = down || feedDown || feed?.heldBackBy !== undefined;
	// The status can change between the once-a-second ticks.
	const now = Math.max(useNow(1000, ticking), Date.now());
	let text: string;
	if (database.state === 'disconnected') {
		const since = database.lastSuccessAt ? ` · data ${age(now - database.lastSuccessAt.getTime())} old (stale, kept)` : '';
		text = `✖ disconnected${retryIn(database, now)}${since}${database.lastError ? ` · ${database.lastError}` : ''}`;
	} else if (database.state === 'connecting') {
		const since = database.lastSuccessAt ? ` · data ${age(now - database.lastSuccessAt.getTime())} old (stale, kept)` : '';
		text = `… connecting${since}`;
	} else if (feedDown) {
		text = `● connected · event feed ${feed.state === 'disconnected' ? `disconnected${retryIn(feed, now)}` : 'connecting'}${
			feed.lastError ? ` · ${feed.lastError}` : ''
		}`;
	} else if (feed?.heldBackBy) {
		text = `● live · events held back ${age(feed.heldBackBy.ageMs)} by open transaction ${feed.heldBackBy.xid}`;
	} else {
		const every = `every ${Math.round((feed?.pollIntervalMs ?? 2000) / 100) / 10}s`;
		const mode = feed?.polling ? ` · polling ${every} · LISTEN does not work through this connection (a pooler?)` : feed?.wakeups === 'standby' ? ` · standby · polling ${every}` : feed?.wakeups === 'missing' ? ` · polling (no wake-ups) ${every}` : '';
		text = feed ? `● live${mode}` : props.schemaCurrent === false ? '● connected · event feed off until the schema is current' : '● connected · checking the schema…';
	}

	// (cut so that the connection state keeps a little room: an operation's name may be long)
	const room = props.width - 12;
	const alarm = down || !props.alarm ? undefined : props.alarm.length > room ? `${props.alarm.slice(0, room - 1)}…` : props.alarm;
	return (
		<Box width={props.width} height={1} overflow="hidden">
			{alarm ? (
				<Box flexShrink={0}>
					<Text bold color={theme.colour('red')}>
						{alarm}
					</Text>
					<Text> · </Text>
				</Box>
			) : null}
			<Text wrap="truncate" bold={down || feedDown} color={down ? theme.colour('red') : feedDown ? theme.colour('magenta') : undefined}>
				{text}
			</Text>
		</Box>
	);
}
