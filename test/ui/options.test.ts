// The monitor's flags, checked before the UI loads.
import {describe, expect, it} from 'vitest';
import {CliError} from '../../source/exitCodes.js';
import {colorEnabled, findScreen, parseMonitorOptions} from '../../source/monitor/monitorOptions.js';

describe('monitor options', () => {
	it('defaults: 2 s interval, read-only, colour, the bell, 95 % threshold, 1 h window', () => {
		expect(parseMonitorOptions({})).toEqual({interval: 2, write: false, color: true, bell: true, threshold: 95, window: '1h', screen: undefined});
	});

	it('rejects an interval below 0.5 s, a bad threshold, window or screen with the flag named', () => {
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{interval: 0.1}, /^--interval must be at least 0\.5 seconds \(got '0\.1'\)$/],
			[{interval: Number.NaN}, /^--interval must be a number of seconds/],
			[{threshold: 101}, /^--threshold must be between 0 and 100/],
			[{window: '2h'}, /^--window must be 1h, 6h or 24h/],
			[{screen: 'nope'}, /^--screen must be 1-7 or one of events, sessions/],
			[{storageLimit: '100 parsecs'}, /^--storage-limit must be a size such as '100GB', '500MB' or '2TB' \(got '100 parsecs'\)$/],
		];
		for (const [input, message] of cases) {
			let error: unknown;
			try {
				parseMonitorOptions(input);
			} catch (caught) {
				error = caught;
			}

			expect(error).toBeInstanceOf(CliError);
			expect((error as CliError).exitCode).toBe(2);
			expect((error as CliError).message).toMatch(message);
		}
	});

	it('--storage-limit in bytes, 1024-based', () => {
		expect(parseMonitorOptions({storageLimit: '100GB'}).storageLimit).toBe(100 * 1024 ** 3);
	});

	it('finds screens by number, name or prefix', () => {
		expect(findScreen('4')).toBe('performance');
		expect(findScreen('perf')).toBe('performance');
		expect(findScreen('Sessions')).toBe('sessions');
		expect(findScreen('7')).toBe('storage');
		expect(findScreen('stor')).toBe('storage');
		expect(findScreen('8')).toBeUndefined();
		expect(parseMonitorOptions({screen: 'dorm'}).screen).toBe('dormant');
	});

	it('turns colour off for --no-color and for any non-empty NO_COLOR', () => {
		expect(colorEnabled(true, {})).toBe(true);
		expect(colorEnabled(false, {})).toBe(false);
		expect(colorEnabled(true, {NO_COLOR: '1'})).toBe(false);
		expect(colorEnabled(true, {NO_COLOR: ''})).toBe(true);
	});
});
