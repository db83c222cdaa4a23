// How long the simulated server's operations take and when they fail: a
// log-normal body per operation, rare spikes far out in the tail, and failure
// bursts (an incident: for a while one operation fails often and runs slow).
// Durations are modelled, not measured, so the monitor's p95 sparklines and
// success-rate threshold show a realistic server rather than this machine.
import type {Random} from './random.js';

export const operations = [
	'register_session',
	'update_context',
	'get_context',
	'request_handoff',
	'accept_handoff',
	'complete_handoff',
	'reject_handoff',
	'update_session_status',
	'end_session',
] as const;
export type Operation = (typeof operations)[number];

type Profile = {medianMs: number; sigma: number; baseFailureRate: number; errors: readonly string[]};

export const profiles: Record<Operation, Profile> = {
	register_session: {medianMs: 12, sigma: 0.5, baseFailureRate: 0.004, errors: ['duplicate_session_key', 'validation_error']},
	update_context: {medianMs: 24, sigma: 0.75, baseFailureRate: 0.008, errors: ['payload_too_large', 'timeout', 'validation_error']},
	get_context: {medianMs: 7, sigma: 0.6, baseFailureRate: 0.002, errors: ['timeout', 'not_found']},
	request_handoff: {medianMs: 38, sigma: 0.6, baseFailureRate: 0.01, errors: ['target_unavailable', 'timeout']},
	accept_handoff: {medianMs: 15, sigma: 0.5, baseFailureRate: 0.005, errors: ['conflict', 'timeout']},
	complete_handoff: {medianMs: 70, sigma: 0.85, baseFailureRate: 0.012, errors: ['context_transfer_failed', 'timeout']},
	reject_handoff: {medianMs: 9, sigma: 0.5, baseFailureRate: 0.003, errors: ['conflict']},
	update_session_status: {medianMs: 6, sigma: 0.4, baseFailureRate: 0.002, errors: ['conflict']},
	end_session: {medianMs: 11, sigma: 0.5, baseFailureRate: 0.003, errors: ['conflict', 'timeout']},
};

export type FaultOptions = {
	/** Mean time between the start of two bursts of one operation. */
	meanBurstIntervalMs: number;
	burstMinMs: number;
	burstMaxMs: number;
	/** Probability that one call lands in the far tail (x5..x25). */
	spikeProbability: number;
};

export const defaultFaults: FaultOptions = {
	meanBurstIntervalMs: 6 * 60_000,
	burstMinMs: 10_000,
	burstMaxMs: 40_000,
	spikeProbability: 0.01,
};

export type Outcome = {durationMs: number; success: boolean; error?: string; spike: boolean; burst: boolean};

type Burst = {startsAt: number; endsAt: number; failureRate: number; slowdown: number};

/** Per-operation incidents on a clock: time-driven, so a backfill over past
 * hours and the live run share one model. */
export class LatencyModel {
	private readonly bursts = new Map<Operation, Burst>();

	constructor(
		private readonly random: Random,
		private readonly faults: FaultOptions = defaultFaults,
		start = Date.now(),
	) {
		for (const operation of operations) this.bursts.set(operation, this.scheduleBurst(start));
	}

	private scheduleBurst(after: number): Burst {
		const startsAt = after + this.random.exponential(this.faults.meanBurstIntervalMs);
		return {
			startsAt,
			endsAt: startsAt + this.random.between(this.faults.burstMinMs, this.faults.burstMaxMs),
			failureRate: this.random.between(0.15, 0.6),
			slowdown: this.random.between(2, 4),
		};
	}

	/** The burst affecting `operation` at `now`, if any; moves past ended ones. */
	burstAt(operation: Operation, now: number): Burst | undefined {
		let burst = this.bursts.get(operation)!;
		while (now >= burst.endsAt) {
			burst = this.scheduleBurst(burst.endsAt);
			this.bursts.set(operation, burst);
		}

		return now >= burst.startsAt ? burst : undefined;
	}

	sample(operation: Operation, now: number): Outcome {
		const profile = profiles[operation];
		const burst = this.burstAt(operation, now);
		let duration = this.random.logNormal(profile.medianMs, profile.sigma);
		const spike = this.random.chance(this.faults.spikeProbability);
		if (spike) duration *= this.random.between(5, 25);
		if (burst) duration *= burst.slowdown;
		const failureRate = burst ? burst.failureRate : profile.baseFailureRate;
		const success = !this.random.chance(failureRate);
		const outcome: Outcome = {durationMs: Math.max(1, Math.round(duration)), success, spike, burst: burst !== undefined};
		if (!success) {
			// In an incident most calls fail fast (upstream unavailable); some wait for the client's timeout.
			outcome.error = burst ? (this.random.chance(0.3) ? 'timeout' : 'unavailable') : this.random.pick(profile.errors);
			if (outcome.error === 'timeout') outcome.durationMs = Math.round(this.random.between(2000, 3000));
		}

		return outcome;
	}
}
