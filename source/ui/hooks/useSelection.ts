import {useEffect, useRef, useState} from 'react';
import {useRemembered} from './useRemembered.js';

/** chosen: the user moved the selection; until then it stays on the first row, whichever row comes first. */
type Stored = {index: number; id?: string; chosen?: true};

/**
 * A remembered selection that follows a row by its key (a session id, an
 * operation …), not by its row number: when the list re-sorts or is filtered,
 * the same row stays selected wherever it moved. Only when the row has left the
 * loaded rows does the selection fall back to the row number it had (and follows
 * that row from then on).
 *
 * `keys` are the loaded rows' keys; `base` is the index of keys[0] in the whole
 * list (a paged list loads one page); `count` is the whole list's length.
 * `locate` (a paged list): where the row is now in the whole list, asked when
 * it has left the loaded page; the selection moves there (and the list loads
 * that page), as pg_activity and htop follow a process. Only when it is gone
 * (undefined), or not on the page it was located on, does it fall back.
 *
 * Until the user moves it, the selection is the first row, whichever row that
 * is after a refresh (a list just opened shows its top, not wherever the row
 * that happened to be first at opening has since moved to).
 */
export function useSelection(
	key: string,
	keys: readonly string[],
	page: number,
	options: {base?: number; count?: number; locate?: (id: string) => Promise<number | undefined>} = {},
) {
	const base = options.base ?? 0;
	const count = options.count ?? keys.length;
	const [stored, setStored] = useRemembered<Stored>(key, {index: 0});
	const clamp = (to: number) => Math.max(0, Math.min(to, count - 1));
	const found = stored.id === undefined || !stored.chosen ? -1 : keys.indexOf(stored.id);
	// The followed row left the loaded rows: being located, unless already found gone.
	const [lost, setLost] = useState<string | undefined>(undefined);
	const locating = options.locate !== undefined && stored.chosen === true && found === -1 && stored.id !== undefined && keys.length > 0 && lost !== stored.id;
	const selected = found === -1 ? clamp(stored.index) : base + found;
	const selectedId = found === -1 && !locating ? keys[selected - base] : stored.id;
	const locate = useRef(options.locate);
	locate.current = options.locate;
	useEffect(() => {
		if (found !== -1 && lost !== undefined) setLost(undefined); // followed again: it may be located again
	}, [found, lost]);
	const onLoadedPage = (index: number) => index >= base && index < base + keys.length;
	useEffect(() => {
		if (!locating || stored.id === undefined) return;
		const id = stored.id;
		let cancelled = false;
		locate.current!(id).then(
			index => {
				if (cancelled) return;
				// gone, or located on the page that is loaded and not there (it moved again, or ties): fall back
				if (index === undefined || onLoadedPage(index)) setLost(id);
				else setStored(previous => (previous.id === id ? {index, id} : previous));
			},
			() => !cancelled && setLost(id),
		);
		return () => {
			cancelled = true;
		};
		// keys: located again after each load while it is not on the page
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [locating, stored.id, keys]);
	// Relative moves build on the latest value: several keys may arrive in one read.
	const latest = useRef({selected, keys, base});
	latest.current = {selected, keys, base};
	const moveTo = (to: (from: number) => number) =>
		setStored(previous => {
			const {keys: loaded, base: first} = latest.current;
			const at = previous.id === undefined || !previous.chosen ? -1 : loaded.indexOf(previous.id);
			const from = at === -1 ? clamp(previous.index) : first + at;
			const index = clamp(to(from));
			const id = loaded[index - first];
			return id === undefined ? {index, chosen: true} : {index, id, chosen: true};
		});
	// Remember where the followed row is now, and which row a fallback landed on.
	// (Not while nothing is loaded: the followed row is not gone, its page is loading.)
	useEffect(() => {
		if (keys.length === 0 || locating || !stored.chosen) return;
		if (stored.index !== selected || stored.id !== selectedId) setStored({index: selected, chosen: true, ...(selectedId === undefined ? {} : {id: selectedId})});
	}, [keys.length, locating, selected, selectedId, stored.index, stored.id, stored.chosen, setStored]);
	return {
		selected,
		/** The selected row's key (undefined while its page loads). */
		selectedId,
		/** The followed row left the loaded page and is being looked for: no row of this page is it. */
		locating,
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
