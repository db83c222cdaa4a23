import {Box} from 'ink';
import {Text} from '../components/Text.js';
import {useEffect} from 'react';
import type {Difference} from '../../db/validation/diff.js';
import {type Cell, type Column, Table} from '../components/Table.js';
import {useServices, useUi} from '../context.js';
import {useKeymap} from '../hooks/useKeymap.js';
import {usePoll} from '../hooks/usePoll.js';
import {useRemembered} from '../hooks/useRemembered.js';
import {useSelection} from '../hooks/useSelection.js';
import {useTheme} from '../theme.js';
import type {ScreenProps} from './types.js';

const differenceKey = (d: Difference) => `${d.kind}:${d.objectType}:${d.name}`;

const columns: Column[] = [
	{header: 'severity', width: 8},
	{header: 'kind', width: 7},
	{header: 'object', width: 8, cut: 2},
	{header: 'name', width: 20, grow: true, cut: 1},
];

function differenceCells(d: Difference): Cell[] {
	return [{text: d.severity, bold: d.severity === 'error', colour: d.severity === 'error' ? 'red' : undefined}, d.kind, d.objectType, d.name];
}

function properties(values: Record<string, unknown> | null): string {
	if (!values) return '(none)';
	return Object.entries(values)
		.map(([k, v]) => `${k}=${String(v)}`)
		.join(' ');
}

export function Schema(props: ScreenProps) {
	const {data, startFeed} = useServices();
	const ui = useUi();
	const theme = useTheme();
	const state = usePoll(async () => data.schemaState(), 'state', Math.max(ui.interval, 5000));
	const [validationRun, setValidationRun] = useRemembered('schema.validationRun', 0);
	// Validation reads the whole catalog: on opening and on request, not on every refresh.
	const validation = usePoll(async () => data.validate(), String(validationRun), 24 * 3600 * 1000);
	const differences = validation.data?.differences ?? [];
	const listHeight = Math.max(3, props.height - 8 - ui.activity.length);
	const selection = useSelection('schema.selected', differences.map(differenceKey), Math.max(1, listHeight - 1));
	const current = state.data?.state === 'current';
	useEffect(() => {
		if (current) startFeed();
	}, [current, startFeed]);
	const refresh = () => {
		state.refresh();
		setValidationRun(n => n + 1);
	};

	useKeymap(
		['list', 'schema'],
		{
			...selection.handlers,
			validate: refresh,
			migrate: () => ui.requestAction({kind: 'migrate', pending: state.data?.pending ?? []}, refresh),
		},
		props.active,
	);
	const s = state.data;
	const chosen = differences.find(d => differenceKey(d) === selection.selectedId);
	const bad = s && s.state !== 'current';
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text wrap="truncate">
				<Text bold>Schema</Text>
				{s ? (
					<Text dimColor>
						{' '}
						· {s.applied} of {s.shipped} migrations applied
					</Text>
				) : null}
				{state.error && state.data ? <Text bold> (stale)</Text> : null}
			</Text>
			<Text wrap="truncate" bold={Boolean(bad)} color={bad ? theme.colour('red') : theme.colour('green')}>
				{s ? `${bad ? '✖' : '✔'} ${s.summary}` : state.error ? `cannot read the migration history: ${state.error}` : 'reading the migration history…'}
			</Text>
			<Text wrap="truncate" dimColor>
				{s && s.pending.length > 0 ? `pending: ${s.pending.join(', ')} — press m to apply (needs --write)` : s ? 'nothing pending' : ''}
			</Text>
			{ui.activity.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key -- progress lines are positions
				<Text key={index} wrap="truncate">
					{'  '}
					{line}
				</Text>
			))}
			<Text wrap="truncate">
				<Text bold>Validation</Text>
				<Text dimColor>
					{validation.loading
						? ' · checking…'
						: validation.data
							? ` · ${validation.data.checked.objects} objects, ${validation.data.checked.migrations} migrations checked on ${validation.data.database} (PostgreSQL ${validation.data.serverVersion}) · ${
									validation.data.ok ? 'no drift' : `${differences.length} differences`
								}`
							: validation.error
								? ` · could not check: ${validation.error}`
								: ''}
				</Text>
			</Text>
			<Table
				columns={columns}
				rows={differences.map(differenceCells)}
				keys={differences.map(differenceKey)}
				width={props.width}
				height={listHeight}
				selected={selection.selected}
				empty={validation.data ? 'the schema matches what this handoff-top expects' : ''}
			/>
			{chosen ? (
				<Box flexDirection="column">
					<Text wrap="truncate">
						<Text dimColor>expected </Text>
						{properties(chosen.expected)}
					</Text>
					<Text wrap="truncate">
						<Text dimColor>actual   </Text>
						{properties(chosen.actual)}
					</Text>
					<Text wrap="truncate">
						<Text dimColor>hint     </Text>
						{chosen.hint ?? '-'}
					</Text>
				</Box>
			) : null}
		</Box>
	);
}
