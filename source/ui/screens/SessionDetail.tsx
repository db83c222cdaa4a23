import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {eventSummary} from '../../feed/eventText.js';
import type {SessionDetail} from '../../queries/sessions.js';
import {inert} from '../../text/inert.js';
import {useServices, useUi} from '../context.js';
import {ago, clock, count, dateTime, hours, ms, until} from '../format.js';
import {useNow} from '../hooks/useInterval.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {usePoll} from '../hooks/usePoll.js';
import {styleOf, useTheme} from '../theme.js';
import {sessionState} from './Sessions.js';
import type {ScreenProps} from './types.js';

function Field(props: {label: string; value: string; width: number}) {
	return (
		<Box width={props.width} paddingRight={fieldGap}>
			<Text wrap="truncate">
				<Text dimColor>{props.label.padEnd(labelWidth)}</Text>
				{props.value}
			</Text>
		</Box>
	);
}

/** The id and the two timestamps, longer than a half-width field holds at 80 columns: rows of their own where they do not fit in the two columns. */
function longFields(detail: SessionDetail, now: number): Array<[string, string]> {
	// the idle time as the view measures it when last_activity_at is not set (a session older than the column)
	const idle = detail.lastActivityAt ? ago(detail.lastActivityAt, now) : `${hours(detail.hoursSinceActivity)} idle`;
	return [
		['id', detail.id],
		['created', `${dateTime(detail.createdAt)} (${ago(detail.createdAt, now)})`],
		['last activity', `${dateTime(detail.lastActivityAt)} (${idle})`],
	];
}

/** Label column of a field, and the space after a field. */
const labelWidth = 14;
const fieldGap = 2;

function fields(detail: SessionDetail, now: number): Array<[string, string]> {
	// an archived session expires and goes dormant no more: only its purge is ahead
	const archived = detail.archivedAt !== null;
	return [
		['key', detail.sessionKey],
		['agents', detail.agentTo ? `${detail.agentFrom} → ${detail.agentTo}` : detail.agentFrom],
		['state', sessionState(detail)],
		['status', detail.status],
		['policy', detail.retentionPolicy],
		['context', `${count(detail.contextCount)} entries`],
		['handoffs', `${count(detail.handoffCount)} (${count(detail.pendingHandoffs)} pending)`],
		['snapshots', count(detail.snapshotCount)],
		['archived', detail.archivedAt ? dateTime(detail.archivedAt) : 'no'],
		['expires', archived ? '-' : detail.schedule.expiresAt ? until(detail.schedule.expiresAt, now) : 'never'],
		['dormant due', archived ? '-' : detail.isDormant ? 'is dormant' : detail.schedule.dormantAt ? until(detail.schedule.dormantAt, now) : 'never'],
		['archive due', detail.archivedAt ? 'archived' : detail.schedule.archiveAt ? until(detail.schedule.archiveAt, now) : '-'],
		['purge due', detail.schedule.purgeAt ? until(detail.schedule.purgeAt, now) : '-'],
	];
}

export function SessionDetailView(props: ScreenProps & {id: string; onClose(): void}) {
	const {data} = useServices();
	const ui = useUi();
	const theme = useTheme();
	const now = useNow(ui.interval);
	const detail = usePoll(async () => data.sessionDetail(props.id), props.id, ui.interval);
	const session = detail.data;
	useKeymap(
		['sessionDetail'],
		{
			close: props.onClose,
			archive: () => session && ui.requestAction({kind: 'archive', sessionId: session.id, sessionKey: session.sessionKey}, detail.refresh),
			reactivate: () =>
				session && ui.requestAction({kind: 'reactivate', sessionId: session.id, sessionKey: session.sessionKey}, detail.refresh),
		},
		props.active,
	);
	if (!session) {
		return (
			<Box flexDirection="column" height={props.height}>
				<Text bold>Session</Text>
				<Text dimColor>
					{detail.loading ? 'loading…' : detail.error ? `cannot load: ${detail.error}` : 'this session no longer exists (purged?)'}
				</Text>
			</Box>
		);
	}

	const half = Math.floor(props.width / 2);
	const long = longFields(session, now);
	const longFit = long.every(([, value]) => value.length <= props.width - half - fieldGap - labelWidth);
	// where they fit, in the two columns as the rest (the id after the key, the times after the policy)
	const short = fields(session, now);
	const list = longFit ? [short[0]!, long[0]!, ...short.slice(1, 5), ...long.slice(1), ...short.slice(5)] : short;
	const fieldRows = Math.ceil(list.length / 2) + (longFit ? 0 : long.length);
	const rest = Math.max(0, props.height - 1 - fieldRows - 2);
	const logRows = Math.min(session.recentPerformance.length, Math.floor(rest / 3));
	const timelineRows = Math.max(0, rest - logRows);
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold>Session {session.sessionKey}</Text>
				{detail.error ? <Text bold> (stale)</Text> : null}
			</Text>
			<Box>
				<Box flexDirection="column" width={half}>
					{list.slice(0, Math.ceil(list.length / 2)).map(([label, value]) => (
						<Field key={label} label={label} value={value} width={half} />
					))}
				</Box>
				<Box flexDirection="column" width={props.width - half}>
					{list.slice(Math.ceil(list.length / 2)).map(([label, value]) => (
						<Field key={label} label={label} value={value} width={props.width - half} />
					))}
				</Box>
			</Box>
			{longFit ? null : long.map(([label, value]) => <Field key={label} label={label} value={value} width={props.width} />)}
			<Text bold wrap="truncate">
				Lifecycle ({session.timeline.length} recent, newest first)
			</Text>
			{session.timeline.slice(0, timelineRows).map(event => {
				const style = styleOf(event.eventType);
				return (
					<Text key={event.id} wrap="truncate">
						{' '}
						{dateTime(event.createdAt)}{' '}
						<Text color={style.colour ? theme.colour(style.colour) : undefined}>{`${style.symbol} ${style.label}`.padEnd(13)}</Text>{' '}
						{eventSummary(event)}
					</Text>
				);
			})}
			<Text bold wrap="truncate">
				Recent operations
			</Text>
			{session.recentPerformance.length === 0 ? <Text dimColor> none logged</Text> : null}
			{session.recentPerformance.slice(0, logRows).map(log => (
				<Text key={log.id} wrap="truncate">
					{' '}
					{clock(log.createdAt)} {inert(log.operation).padEnd(20)} {ms(log.durationMs).padStart(8)}{' '}
					<Text color={log.success ? undefined : theme.colour('red')} bold={!log.success}>
						{log.success ? 'ok' : 'FAILED'}
					</Text>
				</Text>
			))}
		</Box>
	);
}
