import {useStdout} from 'ink';
import {useEffect, useMemo, useRef} from 'react';
import {alarmLine, currentAlarms} from '../../monitor/alarms.js';
import {useServices} from '../context.js';
import {usePoll} from './usePoll.js';

export const bell = '\u0007';

/**
 * The monitor's alarm (source/monitor/alarms.ts), on every screen: the line
 * that says which, or undefined. Rings the terminal bell once when an alarm
 * starts (a key not raised at the previous refresh), never at every frame.
 */
export function useAlarm(options: {threshold: number; feedLagMs: number | undefined; intervalMs: number; bell: boolean}): string | undefined {
	const {data} = useServices();
	const {write} = useStdout();
	const performance = usePoll(async () => data.performanceTable({threshold: options.threshold}), `alarm|${options.threshold}`, options.intervalMs);
	const rows = performance.data;
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
