import {type Key, useInput} from 'ink';
import {createContext, useCallback, useContext, useEffect, useRef} from 'react';
import {match, type Scope} from '../keymap.js';

export type KeyHandlers = Partial<Record<string, () => void>>;

type Entry = {current: {scopes: readonly Scope[]; handlers: KeyHandlers; isActive: boolean}};

/**
 * One reader of the keyboard for the whole monitor. Ink hands a read over as
 * one string ('/dormant\r' when typed fast or pasted), and every useInput
 * subscriber gets all of it: the router splits it into key presses and gives
 * each press to one place, in order, so a key that opens a prompt sends the
 * rest of the read into the prompt (not to the list's keys behind it).
 */
export type KeyRouter = {
	/** While set (synchronously, by whoever opens a prompt), every press goes here. */
	capture: ((input: string, key: Key) => void) | undefined;
	register(entry: Entry): () => void;
	dispatch(input: string, key: Key): void;
};

export function createKeyRouter(): KeyRouter {
	const entries = new Set<Entry>();
	const router: KeyRouter = {
		capture: undefined,
		register(entry) {
			entries.add(entry);
			return () => entries.delete(entry);
		},
		dispatch(input, key) {
			for (const [char, charKey] of presses(input, key)) {
				if (router.capture) {
					router.capture(char, charKey);
					continue;
				}

				for (const entry of [...entries]) {
					const {scopes, handlers, isActive} = entry.current;
					if (!isActive) continue;
					const action = match(scopes, char, charKey);
					if (action && handlers[action]) {
						handlers[action]();
						break;
					}
				}
			}
		},
	};
	return router;
}

export const KeyRouterContext = createContext<KeyRouter | undefined>(undefined);

/** Routes key presses through the keymap: the first of `scopes` that binds a
 * key names the action, and its handler runs. Registered once, for the
 * component's life; whether it is active is checked on each key, as of the last
 * render. Inside the App the router reads the keyboard; alone (a test) it reads
 * it itself. */
export function useKeymap(scopes: readonly Scope[], handlers: KeyHandlers, isActive = true, own?: KeyRouter): void {
	const router = useContext(KeyRouterContext) ?? own;
	const entry = useRef({scopes, handlers, isActive});
	entry.current = {scopes, handlers, isActive};
	useEffect(() => router?.register(entry), [router]);
	useRawInput((input, key) => {
		for (const [char, charKey] of presses(input, key)) {
			const action = match(scopes, char, charKey);
			if (action) handlers[action]?.();
		}
	}, isActive && router === undefined);
}

const controlKeys: Record<string, Partial<Key>> = {
	'\r': {return: true},
	'\n': {return: true},
	'\t': {tab: true},
	'\u007F': {backspace: true},
	'\b': {backspace: true},
};

/** Keys typed quickly (or over a slow link) can arrive in one read, which Ink
 * hands over as one string: 'jj' is two presses of j, 'ab\r' is a, b and
 * Enter; a control character in it is that key (Ctrl-C, Enter, Tab, Backspace),
 * never text. */
export function presses(input: string, key: Key): Array<[string, Key]> {
	if (input.length <= 1 || key.ctrl || key.meta) return [[input, key]];
	const plain: Key = {...key, return: false, tab: false, backspace: false, delete: false, ctrl: false, shift: false};
	return [...input].map(char => {
		const special = controlKeys[char];
		if (special) return ['', {...plain, ...special}];
		const code = char.codePointAt(0)!;
		if (code < 0x20) return [String.fromCodePoint(code + 0x60), {...plain, ctrl: true}];
		return [char, {...plain, shift: /^[A-Z]$/.test(char)}];
	});
}

/** Raw input with one subscription for the component's life (Ink 6.8
 * re-subscribes whenever the handler or isActive changes, and a key typed
 * meanwhile is lost). */
export function useRawInput(handler: (input: string, key: Key) => void, isActive: boolean): void {
	const latest = useRef({handler, isActive});
	latest.current = {handler, isActive};
	const onInput = useCallback((input: string, key: Key) => {
		if (latest.current.isActive) latest.current.handler(input, key);
	}, []);
	useInput(onInput);
}
