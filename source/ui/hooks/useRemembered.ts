import {useEffect, useState} from 'react';
import {useUi} from '../context.js';

/** useState that survives the screen being switched away and back. */
export function useRemembered<T>(key: string, initial: T): [T, (value: T | ((previous: T) => T)) => void] {
	const {memory} = useUi();
	const [value, setValue] = useState<T>(() => (memory.has(key) ? (memory.get(key) as T) : initial));
	useEffect(() => {
		memory.set(key, value);
	}, [memory, key, value]);
	return [value, setValue];
}
