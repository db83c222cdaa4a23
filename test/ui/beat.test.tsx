// Every timer of the monitor wakes on one beat: polls started at different
// moments, and the clock of relative times, answer at the same instants, so a
// refresh draws one frame instead of one per panel.
import {Text} from 'ink';
import {render} from 'ink-testing-library';
import {useState} from 'react';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {createLanding, untilBeat} from '../../source/ui/hooks/beat.js';
import {useNow} from '../../source/ui/hooks/useInterval.js';
import {usePoll} from '../../source/ui/hooks/usePoll.js';

afterEach(() => {
	vi.useRealTimers();
});

describe('the beat', () => {
	it('is the time to the next multiple of the period on the wall clock', () => {
		expect(untilBeat(2000, 10_500)).toBe(1500);
		expect(untilBeat(2000, 12_000)).toBe(2000);
		expect(untilBeat(2000, 13_999)).toBe(1);
	});

	it('lines up polls started at different moments, and the clock, on the same instants', async () => {
		vi.useFakeTimers({now: 100_300, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date']});
		const calls: Record<string, number[]> = {a: [], b: [], clock: []};
		function Poller(props: {name: string}) {
			const polled = usePoll(async () => calls[props.name]!.push(Date.now()), props.name, 2000);
			return <Text>{String(polled.data ?? '')}</Text>;
		}

		function Clock() {
			const now = useNow(2000);
			const [first] = useState(now);
			if (now !== first) calls['clock']!.push(now);
			return <Text>{now}</Text>;
		}

		const a = render(<Poller name="a" />);
		await vi.advanceTimersByTimeAsync(700); // b and the clock start 0.7 s later
		const b = render(<Poller name="b" />);
		const clock = render(<Clock />);
		await vi.advanceTimersByTimeAsync(6000);
		a.unmount();
		b.unmount();
		clock.unmount();
		// each starts at once, then polls on the beat: 102000, 104000, 106000
		expect(calls['a']).toEqual([100_300, 102_000, 104_000, 106_000]);
		expect(calls['b']).toEqual([101_000, 102_000, 104_000, 106_000]);
		expect([...new Set(calls['clock'])]).toEqual([102_000, 104_000, 106_000]);
	});

	it("lands the answers of one beat in one frame: a fast poll's answer waits for a slower one", async () => {
		function Panels() {
			const fast = usePoll(async () => 'fast-answer', 'fast', 60_000);
			const slow = usePoll(async () => new Promise<string>(resolve => setTimeout(() => resolve('slow-answer'), 120)), 'slow', 60_000);
			return <Text>{`${fast.data ?? 'fast-loading'} ${slow.data ?? 'slow-loading'}`}</Text>;
		}

		const panels = render(<Panels />);
		const deadline = Date.now() + 3000;
		while (!panels.lastFrame()?.includes('slow-answer') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10));
		panels.unmount();
		expect(panels.frames.filter(frame => frame.includes('slow-answer'))).not.toHaveLength(0);
		// never the fast answer without the slow one
		expect(panels.frames.filter(frame => frame.includes('fast-answer') && !frame.includes('slow-answer'))).toEqual([]);
	});

	it('a poll slower than the bound does not hold the others back, and a change with nothing in flight goes at once', async () => {
		const landing = createLanding(50);
		const applied: string[] = [];
		const hung = landing.begin(); // never answers in time
		const fast = landing.begin();
		fast(() => applied.push('fast'));
		await new Promise(resolve => setTimeout(resolve, 20));
		expect(applied).toEqual([]);
		await new Promise(resolve => setTimeout(resolve, 60));
		expect(applied).toEqual(['fast']);
		hung(() => applied.push('late'));
		landing.land(() => applied.push('clock'));
		await new Promise(resolve => setImmediate(resolve));
		await new Promise(resolve => setImmediate(resolve));
		expect(applied).toEqual(['fast', 'late', 'clock']);
	});
});
