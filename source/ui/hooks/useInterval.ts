import {useEffect, useRef, useState} from 'react';

/** Calls back every `ms` while enabled; the latest callback is used without re-arming the timer. */
export function useInterval(callback: () => void, ms: number, enabled = true): void {
	const saved = useRef(callback);
	saved.current = callback;
	useEffect(() => {
		if (!enabled) return;
		const timer = setInterval(() => saved.current(), ms);
		return () => clearInterval(timer);
	}, [ms, enabled]);
}

/** Date.now(), refreshed every `ms` while enabled: drives relative times ('12s ago'). Screens pass their refresh
 * interval: a relative time moves on with the data, and the screen is not drawn again every second for it. */
export function useNow(ms = 1000, enabled = true): number {
	const [now, setNow] = useState(() => Date.now());
	useInterval(() => setNow(Date.now()), ms, enabled);
	return now;
}
