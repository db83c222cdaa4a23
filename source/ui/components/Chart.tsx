import asciichart from 'asciichart';
import {Box} from 'ink';
import {Text} from './Text.js';

const labelWidth = 7;

/** How many points fit a chart `width` columns wide (asciichart draws one column per point after its labels). */
export function chartPoints(width: number): number {
	return Math.max(2, width - labelWidth - 2);
}

/** asciichart lines for `values` (null drawn as 0), `height` rows in all; no label repeats the one above it. */
export function chartLines(values: Array<number | null>, height: number, format: (value: number) => string): string[] {
	const series = values.map(value => (value === null || !Number.isFinite(value) ? 0 : value));
	if (series.length === 0) series.push(0);
	const max = Math.max(1, ...series);
	const text = asciichart.plot(series, {
		height: Math.max(1, height - 1),
		min: 0,
		max,
		format: value => format(value).slice(0, labelWidth).padStart(labelWidth),
	});
	// Rows closer together than the format's precision would repeat a label
	// (`14ms` twice): only the top row of such a run keeps it.
	let previous: string | undefined;
	return text.split('\n').map(line => {
		const label = line.slice(0, labelWidth);
		if (label !== previous) {
			previous = label;
			return line;
		}

		return ' '.repeat(labelWidth) + line.slice(labelWidth);
	});
}

/** A titled chart; each line is its own <Text> (one multi-line Text with truncation collapses).
 * With a `note` (loading, cannot load, no data in the window) the note is shown
 * instead of the chart: a flat line at 0 would read as a measured zero. */
export function Chart(props: {
	title: string;
	values: Array<number | null>;
	height: number;
	format: (value: number) => string;
	colour?: 'blue' | 'magenta' | 'cyan' | 'green' | undefined;
	note?: string | undefined;
}) {
	if (props.note !== undefined) {
		return (
			<Box flexDirection="column" height={props.height} overflow="hidden">
				<Text bold wrap="truncate">
					{props.title}
				</Text>
				<Text dimColor wrap="truncate">
					{'  '}
					{props.note}
				</Text>
			</Box>
		);
	}

	const lines = chartLines(props.values, props.height - 1, props.format);
	return (
		<Box flexDirection="column" height={props.height} overflow="hidden">
			<Text bold wrap="truncate">
				{props.title}
			</Text>
			{lines.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key -- chart rows are positions
				<Text key={index} wrap="truncate" color={props.colour}>
					{line}
				</Text>
			))}
		</Box>
	);
}

/** What a chart shows instead of its curve: undefined when there is one to draw. */
export function chartNote(polled: {data: unknown; loading: boolean; error: string | undefined}, hasData: boolean, empty: string): string | undefined {
	if (hasData) return undefined;
	if (polled.data === undefined && polled.error !== undefined) return `cannot load: ${polled.error}`;
	if (polled.data === undefined || polled.loading) return 'loading…';
	return empty;
}
