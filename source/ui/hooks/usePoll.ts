import {useCallback, useEffect, useRef, useState} from 'react';
import {landing, untilBeat} from './beat.js';

export type Polled<T> = {
	data: T | undefined;
	/** When `data` was loaded. */
	updatedAt: number | undefined;
	/** The last load's error, cleared by the next success. The data is kept: stale, not blank. */
	error: string | undefined;
	/** Nothing loaded yet for the current key. */
	loading: boolean;
	refresh(): void;
};

function message(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n')[0] ?? text;
}

/** Loads now and every `intervalMs` (never two loads at once). A new `key`
 * (the query's parameters) loads at once; until it answers the previous data
 * stays on screen. */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs: number, enabled = true, initial?: () => T | undefined): Polled<T> {
	// With an answer already in hand (asked while the UI loaded), the first frame shows it and the first poll waits for the beat.
	const [state, setState] = useState<{data?: T; updatedAt?: number; error?: string; key?: string}>(() => {
		const data = initial?.();
		return data === undefined ? {} : {data, updatedAt: Date.now(), key};
	});
	const startsWithAnswer = useRef(state.data !== undefined);
	const latestLoad = useRef(load);
	latestLoad.current = load;
	const trigger = useRef<() => void>(() => {});
	// The last answer, serialised: an answer equal to it changes no state, so
	// an idle monitor does not redraw after every poll.
	const lastAnswer = useRef<string | undefined>(undefined);
	useEffect(() => {
		if (!enabled) return;
		let cancelled = false;
		let timer: NodeJS.Timeout | undefined;
		let running = false;
		// the next poll on the beat, with the other polls and clocks of this period
		const onBeat = () => {
			timer = setTimeout(() => void tick(), untilBeat(intervalMs));
		};

		const tick = async () => {
			clearTimeout(timer);
			if (running) return;
			running = true;
			// the answer lands with the others of this beat (one frame for all of them)
			const landed = landing.begin();
			try {
				const data = await latestLoad.current();
				const answer = `${key}\u0000${JSON.stringify(data) ?? ''}`;
				const same = answer === lastAnswer.current;
				lastAnswer.current = answer;
				const updatedAt = Date.now();
				landed(() => {
					if (!cancelled) setState(previous => (same && previous.key === key && previous.error === undefined ? previous : {data, updatedAt, key}));
				});
			} catch (error) {
				landed(() => {
					if (!cancelled) setState(previous => ({...previous, error: message(error)}));
				});
			} finally {
				landed(() => {});
				running = false;
				if (!cancelled) onBeat();
			}
		};

		trigger.current = () => void tick();
		if (startsWithAnswer.current) {
			startsWithAnswer.current = false;
			onBeat();
		} else {
			void tick();
		}
		return () => {
			cancelled = true;
			clearTimeout(timer);
		};
	}, [key, intervalMs, enabled]);
	const refresh = useCallback(() => trigger.current(), []);
	return {
		data: state.data,
		updatedAt: state.updatedAt,
		error: state.error,
		loading: state.key !== key && state.error === undefined,
		refresh,
	};
}
