import {type Key, useInput} from 'ink';
import {useCallback, useRef} from 'react';
import {match, type Scope} from '../keymap.js';

export type KeyHandlers = Partial<Record<string, () => void>>;

/** Routes key presses through the keymap: the first of `scopes` that binds a
 * key names the action, and its handler runs. The input subscription is made
 * once, for the component's life (Ink 6.8 re-subscribes whenever the handler
 * or isActive changes, and a key typed meanwhile is lost); whether it is
 * active is checked on each key, as of the last render. */
export function useKeymap(scopes: readonly Scope[], handlers: KeyHandlers, isActive = true): void {
	useRawInput((input, key) => {
		for (const [char, charKey] of presses(input, key)) {
			const action = match(scopes, char, charKey);
			if (action) handlers[action]?.();
		}
	}, isActive);
}

/** Keys typed quickly (or over a slow link) can arrive in one read, which Ink
 * hands over as one string: 'jj' is two presses of j. */
function presses(input: string, key: Key): Array<[string, Key]> {
	if (input.length <= 1 || key.ctrl || key.meta) return [[input, key]];
	return [...input].map(char => [char, {...key, shift: /^[A-Z]$/.test(char)}]);
}

/** Raw input (text prompts), with the same single subscription. */
export function useRawInput(handler: (input: string, key: Key) => void, isActive: boolean): void {
	const latest = useRef({handler, isActive});
	latest.current = {handler, isActive};
	const onInput = useCallback((input: string, key: Key) => {
		if (latest.current.isActive) latest.current.handler(input, key);
	}, []);
	useInput(onInput);
}
