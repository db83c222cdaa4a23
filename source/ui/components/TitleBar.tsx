import {Box} from 'ink';
import {Text} from './Text.js';
import {screenNames, type ScreenName} from '../../monitor/monitorOptions.js';
import {useTheme} from '../theme.js';

export const screenTitles: Record<ScreenName, string> = {
	events: 'Events',
	sessions: 'Sessions',
	dormant: 'Dormant',
	performance: 'Perf',
	metrics: 'Metrics',
	schema: 'Schema',
	storage: 'Storage',
};

function seconds(ms: number): string {
	return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** Screen tabs, the refresh interval and whether the monitor may write: one line, 80 columns or more. Red during an alarm. */
export function TitleBar(props: {screen: ScreenName; intervalMs: number; write: boolean; width: number; alarm?: boolean}) {
	const theme = useTheme();
	// The full form needs about 104 columns; at 80 the name goes and the tabs close up.
	const wide = props.width >= 104;
	// Below 90 columns the seven tabs leave no room for 'every ' and the active tab's padding.
	const tight = props.width < 90;
	return (
		<Box width={props.width} height={1} overflow="hidden" backgroundColor={props.alarm ? theme.colour('red') : undefined}>
			{wide ? (
				<Box flexShrink={0}>
					<Text bold>handoff-top </Text>
				</Box>
			) : null}
			{screenNames.map((name, index) => {
				const active = name === props.screen;
				const label = `${index + 1} ${screenTitles[name]}`;
				const text = active && !theme.color ? `[${label}]` : wide || (active && !tight) ? ` ${label} ` : `${label}`;
				return (
					<Box key={name} flexShrink={0} marginRight={wide ? 0 : 1}>
						<Text inverse={active && theme.color} bold={active} dimColor={!active}>
							{text}
						</Text>
					</Box>
				);
			})}
			<Box flexGrow={1} />
			<Box flexShrink={0}>
				<Text>
					{tight ? '' : 'every '}
					{seconds(props.intervalMs)}
					{wide ? ' (+/-)' : ''} ·{' '}
				</Text>
				<Text bold={props.write} color={props.write ? theme.colour('red') : undefined}>
					{props.write ? 'WRITE' : 'read-only'}
				</Text>
			</Box>
		</Box>
	);
}
