import {Box} from 'ink';
import {Text} from './Text.js';
import {bindings, keyLabel, type Scope} from '../keymap.js';

/** Every key of the global scope and of the current screen, in columns that fit. */
export function Help(props: {scopes: Scope[]; width: number; height: number}) {
	const entries = [...props.scopes, 'global' as const].flatMap(scope =>
		bindings(scope).map(b => ({keys: b.keys.map(keyLabel).join(' '), help: b.help})),
	);
	const rows = Math.max(1, props.height - 2);
	const columns = Math.ceil(entries.length / rows);
	const columnWidth = Math.floor(props.width / Math.max(1, columns));
	const keyWidth = Math.min(16, Math.max(...entries.map(e => e.keys.length)) + 1);
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text bold wrap="truncate">
				Keys — Esc closes
			</Text>
			<Box>
				{Array.from({length: columns}, (_, column) => (
					<Box key={column} flexDirection="column" width={columnWidth} paddingRight={2}>
						{entries.slice(column * rows, (column + 1) * rows).map(entry => (
							<Text key={`${entry.keys}${entry.help}`} wrap="truncate">
								<Text bold>{entry.keys.padEnd(keyWidth)}</Text>
								{entry.help}
							</Text>
						))}
					</Box>
				))}
			</Box>
		</Box>
	);
}
