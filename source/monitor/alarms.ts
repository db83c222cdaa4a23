// What the monitor raises an alarm for: an operation whose success rate is
// under --threshold (the operations the Performance screen marks '!'), and an
// event feed held back by an open transaction for feedLagAlarmMs or longer.
// The title bar turns red, the terminal bell rings once per onset (unless
// --no-bell), and the status line says which.
//   currentAlarms(rows, threshold, feedLagMs) → Alarm[]
//   alarmLine(alarms) → 'ALARM feed lag 34s (+1 more)'
import type {PerformanceRow} from '../queries/performance.js';
import {age} from '../ui/format.js';

/** The feed lags once committed events have waited this long behind an open transaction. */
export const feedLagAlarmMs = 30_000;

/** `key` names the alarm, so a new onset can be told from one that goes on. */
export type Alarm = {key: string; text: string};

/** One decimal, rounded down: a rate just under the threshold (94.96 % under 95 %) must not read as the threshold. */
function rate(percent: number): string {
	return `${Math.floor(percent * 10 + 1e-9) / 10}%`;
}

export function currentAlarms(rows: readonly PerformanceRow[], threshold: number, feedLagMs: number | undefined): Alarm[] {
	const alarms: Alarm[] = [];
	if (feedLagMs !== undefined && feedLagMs >= feedLagAlarmMs) alarms.push({key: 'feed', text: `feed lag ${age(feedLagMs)}`});
	// the worst first
	for (const row of [...rows].filter(r => r.successRatePercent < threshold).sort((a, b) => a.successRatePercent - b.successRatePercent)) {
		alarms.push({key: `operation:${row.operation}`, text: `success ${row.operation} ${rate(row.successRatePercent)} < ${rate(threshold)}`});
	}

	return alarms;
}

export function alarmLine(alarms: readonly Alarm[]): string | undefined {
	if (alarms.length === 0) return undefined;
	return `ALARM ${alarms[0]!.text}${alarms.length > 1 ? ` (+${alarms.length - 1} more)` : ''}`;
}
