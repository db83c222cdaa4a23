// One beat for every timer of the monitor: polls, the event list's flush and
// the clocks of relative times wake at the same instants (multiples of their
// period on the wall clock), so their answers land together and make one
// frame, not one frame each at scattered moments.

/** Milliseconds until the next multiple of `periodMs` (a whole period when exactly on one). */
export function untilBeat(periodMs: number, now = Date.now()): number {
	const period = Math.max(1, Math.round(periodMs));
	return period - (now % period);
}
