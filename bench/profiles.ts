// Sizes of each profile. quick: the default, a few minutes; full: the issue's
// scale; smoke: the quick profile's smallest size (CI checks that every
// benchmark still runs; its numbers mean nothing).
import type {WorkloadName} from './writeCost.js';

export type ProfileName = 'quick' | 'full' | 'smoke';

export type Profile = {
	write: {durationS: number; rounds: number; clients: number[]; sessions: number; workloads: WorkloadName[]; previous: boolean; diagnose: boolean};
	dashboard: {scale: number; repeats: number; exactBaseline: boolean};
	latency: {rates: number[]; durationS: number};
	monitor: {idleS: number; loadS: number; loadRate: number; sessions: number; settleS: number; windowS: number; frameRuns: number};
	startup: {runs: number};
	/** Rows of the one expired day the retention benchmark removes (a day at 1,000 ops/s is 86.4 M). */
	retention: {expired: number};
	exporter: {sessions: number; rounds: number};
};

export const profiles: Record<ProfileName, Profile> = {
	quick: {
		write: {durationS: 3, rounds: 4, clients: [1, 16], sessions: 10_000, workloads: ['status', 'mix', 'server'], previous: true, diagnose: true},
		// 1/20 of the scale: 500 k performance_logs, 50 k sessions, 500 k context_history
		dashboard: {scale: 1 / 20, repeats: 5, exactBaseline: true},
		latency: {rates: [100, 1000, 5000], durationS: 5},
		monitor: {idleS: 20, loadS: 60, loadRate: 100, sessions: 50_000, settleS: 4, windowS: 15, frameRuns: 3},
		startup: {runs: 10},
		retention: {expired: 1_000_000},
		exporter: {sessions: 50_000, rounds: 9},
	},
	full: {
		write: {durationS: 20, rounds: 3, clients: [1, 16], sessions: 100_000, workloads: ['status', 'mix', 'server'], previous: true, diagnose: true},
		dashboard: {scale: 1, repeats: 7, exactBaseline: true},
		latency: {rates: [100, 1000, 5000], durationS: 15},
		monitor: {idleS: 60, loadS: 600, loadRate: 100, sessions: 1_000_000, settleS: 5, windowS: 30, frameRuns: 5},
		startup: {runs: 20},
		retention: {expired: 10_000_000},
		// the scale for the exporter: 1 M sessions
		exporter: {sessions: 1_000_000, rounds: 11},
	},
	smoke: {
		write: {durationS: 1, rounds: 1, clients: [1], sessions: 200, workloads: ['status', 'mix', 'server'], previous: true, diagnose: true},
		dashboard: {scale: 1 / 2000, repeats: 1, exactBaseline: true},
		latency: {rates: [100], durationS: 1},
		monitor: {idleS: 2, loadS: 2, loadRate: 100, sessions: 1000, settleS: 1, windowS: 2, frameRuns: 1},
		startup: {runs: 2},
		retention: {expired: 20_000},
		// above the exporter's exact-count bound (20,000), so the sampled path runs too
		exporter: {sessions: 25_000, rounds: 3},
	},
};
