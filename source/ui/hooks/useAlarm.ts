import {useStdout} from 'ink';
import {useEffect, useMemo, useRef} from 'react';
import {alarmLine, currentAlarms} from '../../monitor/alarms.js';
import type {PerformanceRow} from '../../queries/performance.js';

export const bell = '\u0007';

/**
 * The monitor's alarm (source/monitor/alarms.ts), on every screen: the line
 * that says which, or undefined. Rings the terminal bell once when an alarm
 * starts (a key not raised at the previous refresh), never at every frame.
 * `rows` is the performance table the App polls once for it and the Perf screen.
 */
export function useAlarm(options: {rows: readonly PerformanceRow[] | undefined; threshold: number; feedLagMs: number | undefined; bell: boolean}): string | undefined {
	const {write} = useStdout();
	const rows = options.rows;
	const alarms = useMemo(() => currentAlarms(rows ?? [], options.threshold, options.feedLagMs), [rows, options.threshold, options.feedLagMs]);
	const raised = useRef(new Set<string>());
	const keys = alarms.map(a => a.key).join('\n');
	useEffect(() => {
		const now = new Set(keys === '' ? [] : keys.split('\n'));
		const onset = [...now].some(key => !raised.current.has(key));
		raised.current = now;
		if (onset && options.bell) write(bell);
	}, [keys, options.bell, write]);
	return alarmLine(alarms);
}
