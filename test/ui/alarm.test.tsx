// The alarm: an operation under --threshold or an event feed held back 30 s
// or more turns the title bar red, rings the terminal bell once per onset
// (never at every frame; not at all with --no-bell) and the status line says
// which; back under, it clears, and a new crossing rings again.
import {afterEach, describe, expect, it, vi} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {currentAlarms, feedLagAlarmMs} from '../../source/monitor/alarms.js';
import type {PerformanceRow} from '../../source/queries/performance.js';
import {renderMonitor, until} from './render.js';

// the red title bar is a colour code
vi.hoisted(() => {
	process.env['FORCE_COLOR'] = '1';
});

afterEach(() => cleanup());

const redBackground = '\u001B[41m';
const bel = '\u0007';

function operation(name: string, successRatePercent: number): PerformanceRow {
	return {
		operation: name,
		calls: 200,
		successfulCalls: Math.round(2 * successRatePercent),
		failedCalls: 200 - Math.round(2 * successRatePercent),
		successRatePercent,
		avgMs: 40,
		minMs: 1,
		maxMs: 900,
		p95Ms: 812,
		lastCallAt: new Date(),
		belowThreshold: successRatePercent < 95,
	};
}

function harness(options: {bell?: boolean; rates: () => number}) {
	let loads = 0;
	const ui = renderMonitor({
		app: {initialScreen: 'events', intervalMs: 500, ...(options.bell === undefined ? {} : {bell: options.bell})},
		data: {
			performanceTable: async () => {
				loads++;
				return [operation('update_context', 99.5), operation('handoff_create', options.rates())];
			},
		},
	});
	const bells = () => ui.frames.filter(frame => frame.includes(bel)).length;
	const titleRed = () => (ui.lastFrame() ?? '').split('\n')[0]!.includes(redBackground);
	/** Waits for `n` more refreshes of the alarm's data (frames of every one of them are on record). */
	const refreshes = async (n: number) => {
		const before = loads;
		await until(() => loads >= before + n, `${n} refreshes`);
	};

	return {ui, bells, titleRed, refreshes};
}

describe('the alarm', () => {
	it('turns the title red, says which operation, and rings the bell once however many frames follow', async () => {
		const {ui, bells, titleRed, refreshes} = harness({rates: () => 81.5});
		await ui.waitForText('ALARM success handoff_create 81.5% < 95%');
		expect(titleRed()).toBe(true);
		await refreshes(4);
		expect(bells()).toBe(1);
		expect(ui.text()).toContain('ALARM success handoff_create 81.5% < 95%');
	});

	it('rings no bell with --no-bell, and the title still turns red', async () => {
		const {ui, bells, titleRed, refreshes} = harness({bell: false, rates: () => 81.5});
		await ui.waitForText('ALARM success handoff_create');
		await refreshes(3);
		expect(titleRed()).toBe(true);
		expect(bells()).toBe(0);
	});

	it('clears when back under the threshold, and rings again at the next crossing', async () => {
		let rate = 80;
		const {ui, bells, titleRed, refreshes} = harness({rates: () => rate});
		await ui.waitForText('ALARM success handoff_create 80% < 95%');
		await until(() => bells() === 1, 'the bell');
		rate = 99;
		await ui.waitFor(text => !text.includes('ALARM'), 'the alarm cleared');
		expect(titleRed()).toBe(false);
		await refreshes(2);
		expect(bells()).toBe(1);
		rate = 90;
		await ui.waitForText('ALARM success handoff_create 90% < 95%');
		await until(() => bells() === 2, 'the second bell');
		await refreshes(2);
		expect(bells()).toBe(2);
	});

	it('raises one for the event feed held back by an open transaction 30 s or more, and not for less', async () => {
		const {ui, bells, titleRed, refreshes} = harness({rates: () => 99});
		const at = Date.now();
		ui.status.set({database: {state: 'connected', at}, feed: {state: 'live', heldBackBy: {xid: '1234', ageMs: feedLagAlarmMs - 5000}, at}});
		await ui.waitForText('feed lag 25s');
		await refreshes(2);
		expect(ui.text()).not.toContain('ALARM');
		expect(bells()).toBe(0);
		ui.status.set({database: {state: 'connected', at}, feed: {state: 'live', heldBackBy: {xid: '1234', ageMs: 34_000}, at}});
		await ui.waitForText('ALARM feed lag 34s');
		expect(titleRed()).toBe(true);
		await until(() => bells() === 1, 'the bell');
	});
});

it('never shows a rate just under the threshold as the threshold itself', () => {
	const row = (successRatePercent: number) => ({operation: 'complete_handoff', successRatePercent}) as unknown as PerformanceRow;
	expect(currentAlarms([row(94.96)], 95, undefined).map(a => a.text)).toEqual(['success complete_handoff 94.9% < 95%']);
	expect(currentAlarms([row(80)], 95, undefined).map(a => a.text)).toEqual(['success complete_handoff 80% < 95%']);
	expect(currentAlarms([row(95)], 95, undefined)).toEqual([]);
});
