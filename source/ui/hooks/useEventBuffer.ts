import {useEffect, useLayoutEffect, useRef, useState} from 'react';
import {landing, untilBeat} from './beat.js';
import type {LifecycleEvent} from '../../feed/eventFeed.js';
import type {EventSource} from '../../monitor/eventHub.js';

export type EventBufferView = {
	/** Newest first, at most `capacity`. */
	events: LifecycleEvent[];
	/** Arrived while paused (not yet on screen). */
	newWhilePaused: number;
};

/** How long after the first event of a quiet spell the list shows it (and those that came with it). */
export const eventBatchMs = 250;

/** The live event list. Batches land in a bounded ring (a ref) and reach
 * React state at most once per `flushMs`, so the render rate stays bounded
 * whatever the event rate: `batchMs` after the first event of a quiet spell,
 * then once per `flushMs` while they keep coming (each render of the screen
 * costs the same however few rows changed). While paused the view stays as it is and only
 * counts what arrives. While not `visible` (another screen is open) the ring
 * fills but no state changes - no render for a list nobody sees; it is
 * brought up to date when it is shown again. */
export function useEventBuffer(
	source: EventSource,
	options: {capacity: number; paused: boolean; visible?: boolean; flushMs?: number; batchMs?: number},
): EventBufferView {
	const {capacity, paused, visible = true, flushMs = 1000, batchMs = eventBatchMs} = options;
	const ring = useRef<LifecycleEvent[]>([]);
	const arrivedWhilePaused = useRef(0);
	const pausedRef = useRef(paused);
	const visibleRef = useRef(visible);
	const capacityRef = useRef(capacity);
	const [view, setView] = useState<EventBufferView>({events: [], newWhilePaused: 0});
	const snapshot = () => ring.current.slice(-capacityRef.current).reverse();

	useEffect(() => {
		let timer: NodeJS.Timeout | undefined;
		let unsubscribed = false;
		let flushedAt = Number.NEGATIVE_INFINITY;
		const flush = () => {
			timer = undefined;
			flushedAt = performance.now();
			if (!visibleRef.current) return;
			// with the polls' answers of this beat, in their frame
			landing.land(() => {
				if (!visibleRef.current || unsubscribed) return;
				if (pausedRef.current) {
					const count = arrivedWhilePaused.current;
					setView(previous => (previous.newWhilePaused === count ? previous : {...previous, newWhilePaused: count}));
				} else {
					setView({events: snapshot(), newWhilePaused: 0});
				}
			});
		};

		const unsubscribe = source.subscribe(batch => {
			const buffer = ring.current;
			for (const event of batch) buffer.push(event);
			// Trim in chunks: an O(n) splice per event would cost more than the events.
			if (buffer.length > capacityRef.current * 2) buffer.splice(0, buffer.length - capacityRef.current);
			if (pausedRef.current) arrivedWhilePaused.current += batch.length;
			// The first events after a quiet spell show at once; under a stream, on the beat (at most flushMs apart).
			timer ??= setTimeout(flush, performance.now() - flushedAt >= flushMs ? batchMs : Math.max(batchMs, untilBeat(flushMs)));
		});
		return () => {
			unsubscribed = true;
			unsubscribe();
			clearTimeout(timer);
		};
	}, [source, flushMs, batchMs]);

	// A layout effect runs in the same task as the commit: no batch can arrive
	// between the frame that says PAUSED and the count starting.
	useLayoutEffect(() => {
		const changed = capacityRef.current !== capacity;
		const shown = visible && !visibleRef.current;
		capacityRef.current = capacity;
		visibleRef.current = visible;
		if (pausedRef.current === paused && !changed) {
			if (!shown) return;
			// shown again: what arrived meanwhile
			const count = arrivedWhilePaused.current;
			if (paused) setView(previous => (previous.newWhilePaused === count ? previous : {...previous, newWhilePaused: count}));
			else setView({events: snapshot(), newWhilePaused: 0});
			return;
		}

		pausedRef.current = paused;
		if (paused) {
			arrivedWhilePaused.current = 0;
		} else {
			arrivedWhilePaused.current = 0;
			setView({events: snapshot(), newWhilePaused: 0});
		}
	}, [paused, capacity, visible]);

	return view;
}
