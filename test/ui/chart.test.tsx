// A chart with nothing to draw says why (loading, cannot load, no data in the
// window) instead of a flat line at 0 that reads as a measured zero.
import {render} from 'ink-testing-library';
import {describe, expect, it} from 'vitest';
import {Chart, chartLines, chartNote} from '../../source/ui/components/Chart.js';

function frame(note: string | undefined, values: Array<number | null>): string {
	const {lastFrame, unmount} = render(<Chart title="p95 get_context · 1h" values={values} height={8} format={value => `${value}ms`} note={note} />);
	const text = lastFrame() ?? '';
	unmount();
	return text;
}

describe('Chart', () => {
	it('draws the curve when there is data, and only the note when there is none', () => {
		expect(frame(undefined, [1, 5, 3, 8])).toMatch(/[╭╮╯╰]/);
		const loading = frame(chartNote({data: undefined, loading: true, error: undefined}, false, 'no calls'), []);
		expect(loading).toMatch(/loading…/);
		expect(loading).not.toMatch(/[┤┼]/);
	});

	it('labels the axis without repeating a value: rows closer than the format rounds keep one label', () => {
		const lines = chartLines([0, 15, 12, 14], 25, value => `${Math.round(value)}ms`);
		const labels = lines.map(line => line.slice(0, 7).trim()).filter(label => label !== '');
		expect(labels[0]).toBe('15ms');
		expect(labels.at(-1)).toBe('0ms');
		expect(new Set(labels).size).toBe(labels.length);
		expect(labels.length).toBeGreaterThan(10); // every value the rounding can tell apart is still labelled
		expect(lines.every(line => /[┤┼]/.test(line))).toBe(true); // the axis itself is whole
	});

	it('notes loading, a failure without data, an empty window, and nothing once there is data', () => {
		expect(chartNote({data: undefined, loading: true, error: undefined}, false, 'no calls')).toBe('loading…');
		expect(chartNote({data: undefined, loading: false, error: 'timeout'}, false, 'no calls')).toBe('cannot load: timeout');
		expect(chartNote({data: {}, loading: false, error: undefined}, false, 'no calls in the last 1h')).toBe('no calls in the last 1h');
		expect(chartNote({data: {}, loading: false, error: 'timeout'}, true, 'no calls')).toBeUndefined();
	});
});
