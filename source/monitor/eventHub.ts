// Hands the feed's batches to whoever shows them (the UI subscribes once).
import type {LifecycleEvent} from '../feed/eventFeed.js';

export type EventBatchListener = (batch: LifecycleEvent[]) => void;
export type EventSource = {subscribe(listener: EventBatchListener): () => void};
export type EventHub = EventSource & {publish(batch: LifecycleEvent[]): void};

export function createEventHub(): EventHub {
	const listeners = new Set<EventBatchListener>();
	return {
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		publish(batch) {
			for (const listener of listeners) listener(batch);
		},
	};
}

/** A value with subscribers, for useSyncExternalStore. */
export type Store<T> = {get(): T; set(value: T): void; subscribe(listener: () => void): () => void};

export function createStore<T>(initial: T): Store<T> {
	let value = initial;
	const listeners = new Set<() => void>();
	return {
		get: () => value,
		set(next) {
			value = next;
			for (const listener of listeners) listener();
		},
		subscribe(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
	};
}
