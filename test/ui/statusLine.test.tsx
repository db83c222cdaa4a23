// The connection line says how the event feed notices new events: wake-ups
// (● live), a hot standby's polling, or polling because wake-ups stopped.
import {render} from 'ink-testing-library';
import {describe, expect, it} from 'vitest';
import type {FeedStatus} from '../../source/feed/eventFeed.js';
import {StatusLine} from '../../source/ui/components/StatusLine.js';

function line(feed: FeedStatus): string {
	const at = Date.now();
	const {lastFrame, unmount} = render(<StatusLine width={80} status={{database: {state: 'connected', at}, feed: {...feed, at}}} />);
	const text = lastFrame() ?? '';
	unmount();
	return text.trim();
}

describe('StatusLine', () => {
	it('says live, standby polling, or polling without wake-ups', () => {
		expect(line({state: 'live', wakeups: 'notify', pollIntervalMs: 2000})).toBe('● live');
		expect(line({state: 'live', wakeups: 'standby', pollIntervalMs: 2000})).toBe('● live · standby · polling every 2s');
		expect(line({state: 'live', wakeups: 'missing', pollIntervalMs: 500})).toBe('● live · polling (no wake-ups) every 0.5s');
	});
});
