import {useRemembered} from './useRemembered.js';

/** A remembered selected row, and the list keys' handlers that move it within `count` rows. */
export function useSelection(key: string, count: number, page: number) {
	const [stored, setSelected] = useRemembered(key, 0);
	const clamp = (to: number) => Math.max(0, Math.min(to, count - 1));
	const selected = clamp(stored);
	// Relative moves build on the previous value: several keys may arrive in one read.
	const by = (delta: number) => setSelected(previous => clamp(clamp(previous) + delta));
	return {
		selected,
		setSelected: (to: number) => setSelected(clamp(to)),
		handlers: {
			up: () => by(-1),
			down: () => by(1),
			pageUp: () => by(-page),
			pageDown: () => by(page),
			top: () => setSelected(0),
			bottom: () => setSelected(clamp(count - 1)),
		},
	};
}
