import {useEffect, useRef} from 'react';
import {useRemembered} from './useRemembered.js';

type Stored = {index: number; id?: string};

/**
 * A remembered selection that follows a row by its key (a session id, an
 * operation …), not by its row number: when the list re-sorts or is filtered,
 * the same row stays selected wherever it moved. Only when the row has left the
 * loaded rows does the selection fall back to the row number it had (and follows
 * that row from then on).
 *
 * `keys` are the loaded rows' keys; `base` is the index of keys[0] in the whole
 * list (a paged list loads one page); `count` is the whole list's length.
 */
export function useSelection(key: string, keys: readonly string[], page: number, options: {base?: number; count?: number} = {}) {
	const base = options.base ?? 0;
	const count = options.count ?? keys.length;
	const [stored, setStored] = useRemembered<Stored>(key, {index: 0});
	const clamp = (to: number) => Math.max(0, Math.min(to, count - 1));
	const found = stored.id === undefined ? -1 : keys.indexOf(stored.id);
	const selected = found === -1 ? clamp(stored.index) : base + found;
	const selectedId = found === -1 ? keys[selected - base] : stored.id;
	// Relative moves build on the latest value: several keys may arrive in one read.
	const latest = useRef({selected, keys, base});
	latest.current = {selected, keys, base};
	const moveTo = (to: (from: number) => number) =>
		setStored(previous => {
			const {keys: loaded, base: first} = latest.current;
			const at = previous.id === undefined ? -1 : loaded.indexOf(previous.id);
			const from = at === -1 ? clamp(previous.index) : first + at;
			const index = clamp(to(from));
			return {index, id: loaded[index - first]};
		});
	// Remember where the followed row is now, and which row a fallback landed on.
	// (Not while nothing is loaded: the followed row is not gone, its page is loading.)
	useEffect(() => {
		if (keys.length === 0) return;
		if (stored.index !== selected || stored.id !== selectedId) setStored({index: selected, ...(selectedId === undefined ? {} : {id: selectedId})});
	}, [keys.length, selected, selectedId, stored.index, stored.id, setStored]);
	return {
		selected,
		/** The selected row's key (undefined while its page loads). */
		selectedId,
		setSelected: (to: number) => moveTo(() => to),
		/** Back to the first page, still following the selected row if it is there (after a filter changed). */
		restart: () => setStored(previous => ({...previous, index: 0})),
		handlers: {
			up: () => moveTo(from => from - 1),
			down: () => moveTo(from => from + 1),
			pageUp: () => moveTo(from => from - page),
			pageDown: () => moveTo(from => from + page),
			top: () => moveTo(() => 0),
			bottom: () => moveTo(() => count - 1),
		},
	};
}
