import {Box} from 'ink';
import {Text} from './Text.js';
import {type FeedLag, healthText} from '../../queries/health.js';
import {useServices} from '../context.js';
import {usePoll} from '../hooks/usePoll.js';
import {useTheme} from '../theme.js';

/** The database health line (as pg_activity's header), read every refresh: see source/queries/health.ts. */
export function HealthLine(props: {width: number; intervalMs: number; feedLag: FeedLag}) {
	const {data} = useServices();
	const theme = useTheme();
	// at least a second apart: the server's statistics are flushed about once a second
	const health = usePoll(async () => data.databaseHealth(), 'health', Math.max(props.intervalMs, 1000), true, () => data.firstAnswer('health'));
	const stale = health.error !== undefined && health.data !== undefined;
	const text = health.data
		? healthText(health.data, props.feedLag, props.width - (stale ? 8 : 0))
		: health.error
			? `database health: cannot read (${health.error})`
			: 'database health: reading…';
	const waiting = (health.data?.waitingLocks ?? 0) > 0;
	return (
		<Box width={props.width} height={1} overflow="hidden">
			<Text wrap="truncate" dimColor={!health.data} color={waiting ? theme.colour('yellow') : undefined}>
				{text}
			</Text>
			{stale ? <Text dimColor> (stale)</Text> : null}
		</Box>
	);
}
