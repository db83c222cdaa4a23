// The workload and latency models on their own, without a database.
import {describe, expect, it} from 'vitest';
import {LatencyModel, operations} from '../../source/simulator/latency.js';
import {createRandom} from '../../source/simulator/random.js';
import {Workload, defaultWorkload, type Action} from '../../source/simulator/workload.js';

describe('the latency model', () => {
	it('has a log-normal body with a long tail, and failure bursts that come and go', () => {
		const model = new LatencyModel(createRandom(7), {meanBurstIntervalMs: 60_000, burstMinMs: 10_000, burstMaxMs: 20_000, spikeProbability: 0.01}, 0);
		const durations: number[] = [];
		const failuresPerSecond: number[] = [];
		for (let second = 0; second < 1800; second++) {
			let failures = 0;
			for (let call = 0; call < 20; call++) {
				const outcome = model.sample('update_context', second * 1000 + call * 50);
				durations.push(outcome.durationMs);
				if (!outcome.success) failures++;
			}

			failuresPerSecond.push(failures);
		}

		durations.sort((a, b) => a - b);
		const at = (q: number) => durations[Math.floor(q * (durations.length - 1))]!;
		expect(at(0.5)).toBeGreaterThan(15);
		expect(at(0.5)).toBeLessThan(40);
		expect(at(0.99)).toBeGreaterThan(5 * at(0.5));
		expect(at(1)).toBeGreaterThan(50 * at(0.5));
		// Mostly healthy seconds, and some seconds in a burst with many failures.
		const healthy = failuresPerSecond.filter(n => n === 0).length / failuresPerSecond.length;
		expect(healthy).toBeGreaterThan(0.6);
		expect(Math.max(...failuresPerSecond)).toBeGreaterThanOrEqual(5);
	});

	it('is the same for the same seed', () => {
		const a = new LatencyModel(createRandom(1), undefined, 0);
		const b = new LatencyModel(createRandom(1), undefined, 0);
		for (const operation of operations) expect(a.sample(operation, 1000)).toEqual(b.sample(operation, 1000));
	});
});

describe('the workload model', () => {
	function drive(steps: number) {
		const workload = new Workload(createRandom(3), defaultWorkload);
		const kinds = new Map<string, number>();
		let now = 0;
		let id = 0;
		for (let step = 0; step < steps; step++) {
			now += 50;
			const action: Action = workload.next(now);
			kinds.set(action.kind, (kinds.get(action.kind) ?? 0) + 1);
			if ('session' in action) expect(action.session.busy).toBe(false);
			switch (action.kind) {
				case 'register_session':
					workload.addSession(action, `s${id++}`, now);
					break;
				case 'update_context':
					action.session.nextSequence++;
					workload.touched(action.session, now);
					break;
				case 'request_handoff':
					action.session.handoffs.push({id: `h${step}`, status: 'pending', target: action.target});
					break;
				case 'accept_handoff':
					action.session.handoffs.find(h => h.id === action.handoffId)!.status = 'accepted';
					break;
				case 'reject_handoff':
				case 'complete_handoff':
					action.session.handoffs = action.session.handoffs.filter(h => h.id !== action.handoffId);
					break;
				case 'update_session_status':
				case 'end_session':
					expect(action.session.status).toBe(action.from);
					action.session.status = action.to;
					break;
				default:
					break;
			}

			// Now and then the sweep makes quiet sessions dormant.
			if (step % 200 === 0) {
				for (const s of workload.sessions.values()) if (s.status === 'active' && now - s.lastActivityAt > 30_000) workload.swept('dormant', s.id);
			}
		}

		return {workload, kinds};
	}

	it('produces every kind of action, context most often', () => {
		const {kinds} = drive(20_000);
		expect([...kinds.keys()].sort()).toEqual([...operations].sort());
		const most = [...kinds.entries()].sort((a, b) => b[1] - a[1])[0]![0];
		expect(most).toBe('update_context');
	});

	it('keeps about the configured number of sessions talking, and lets others end or go quiet', () => {
		const {workload} = drive(20_000);
		const states = new Map<string, number>();
		for (const s of workload.sessions.values()) states.set(s.status, (states.get(s.status) ?? 0) + 1);
		expect(states.get('completed') ?? 0).toBeGreaterThan(0);
		expect([...workload.sessions.values()].some(s => s.dormant)).toBe(true);
		expect(workload.openCount()).toBeGreaterThanOrEqual(defaultWorkload.liveSessions * 0.5);
	});

	it('forgets sessions the sweep archived', () => {
		const {workload} = drive(2000);
		const [first] = workload.sessions.keys();
		workload.swept('archive', first!);
		expect(workload.sessions.has(first!)).toBe(false);
	});
});
