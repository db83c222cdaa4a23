import {Box} from 'ink';
import {Text} from './Text.js';

export const minimumSize = {columns: 80, rows: 24};

export function TooSmall(props: {columns: number; rows: number}) {
	return (
		<Box flexDirection="column" height={Math.max(1, props.rows - 1)} overflow="hidden">
			<Text bold wrap="truncate">
				terminal too small — need {minimumSize.columns}×{minimumSize.rows}, have {props.columns}×{props.rows}
			</Text>
			<Text dimColor wrap="truncate">
				enlarge the window, or press q to quit
			</Text>
		</Box>
	);
}
