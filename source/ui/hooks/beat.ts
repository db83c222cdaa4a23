// One beat for every timer of the monitor: polls, the event list's flush and
// the clocks of relative times wake at the same instants (multiples of their
// period on the wall clock), so their answers land together and make one
// frame, not one frame each at scattered moments.

/** Milliseconds until the next multiple of `periodMs` (a whole period when exactly on one). */
export function untilBeat(periodMs: number, now = Date.now()): number {
	const period = Math.max(1, Math.round(periodMs));
	return period - (now % period);
}

/** Where the state changes of one beat meet: each poll says when it starts and hands in its change when it has
 * answered; the changes are applied together once every poll that started has answered (a poll slower than
 * `maxWaitMs` no longer holds the others), in one task, so React commits once and Ink draws one frame, not one per
 * answer. Clocks hand in their change the same way (land) and go with the answers in flight, or at once. */
export type Landing = {
	/** A poll starts; call the returned function with its change (a no-op when it has nothing to change) once it answered. */
	begin(): (apply: () => void) => void;
	/** A change that waits for no answer of its own: it goes with the answers in flight, or at once when none are. */
	land(apply: () => void): void;
};

export function createLanding(maxWaitMs = 300): Landing {
	let inFlight = 0;
	let queued: Array<() => void> = [];
	let immediate: NodeJS.Immediate | undefined;
	const flush = () => {
		immediate = undefined;
		if (inFlight > 0) return;
		const changes = queued;
		queued = [];
		for (const apply of changes) apply();
	};

	// after the timers and I/O of this turn of the event loop: polls started by timers of the same instant have begun
	const settle = () => {
		if (inFlight === 0 && queued.length > 0) immediate ??= setImmediate(flush);
	};

	return {
		begin() {
			inFlight++;
			let counted = true;
			const release = () => {
				if (!counted) return;
				counted = false;
				inFlight--;
				clearTimeout(expiry);
			};

			const expiry = setTimeout(() => {
				release();
				settle();
			}, maxWaitMs);
			expiry.unref?.();
			let done = false;
			return apply => {
				if (done) return;
				done = true;
				release();
				queued.push(apply);
				settle();
			};
		},
		land(apply) {
			queued.push(apply);
			settle();
		},
	};
}

/** The monitor's one landing (every screen and line polls through it). */
export const landing = createLanding();
