import {useEffect, useRef, useState} from 'react';
import {landing, untilBeat} from './beat.js';

/** Calls back every `ms` while enabled, on the beat (multiples of `ms` on the wall clock); the latest callback is used without re-arming the timer. */
export function useInterval(callback: () => void, ms: number, enabled = true): void {
	const saved = useRef(callback);
	saved.current = callback;
	useEffect(() => {
		if (!enabled) return;
		// on the beat: ticks land with the polls' answers, in the same frame
		let timer: NodeJS.Timeout | undefined;
		const arm = () => {
			timer = setTimeout(() => {
				saved.current();
				arm();
			}, untilBeat(ms));
		};

		arm();
		return () => clearTimeout(timer);
	}, [ms, enabled]);
}

/** Date.now(), refreshed every `ms` while enabled: drives relative times ('12s ago'). Screens pass their refresh
 * interval: a relative time moves on with the data, and the screen is not drawn again every second for it. */
export function useNow(ms = 1000, enabled = true): number {
	const [now, setNow] = useState(() => Date.now());
	useInterval(() => {
		const now = Date.now();
		// with the polls' answers of this beat, in their frame
		landing.land(() => setNow(now));
	}, ms, enabled);
	return now;
}
