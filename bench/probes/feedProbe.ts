// Live-latency reader (a child process of the bench): handoff-top's event feed
// (source/feed/eventFeed.ts), as the monitor uses it, printing each
// status_changed event's new status and the time it was delivered:
// {"tag": "L12", "at": 1732...}. Prints "ready" on stderr once live.
//   node feedProbe.js <url>
import pg from 'pg';
import {createEventFeed} from '../../source/feed/eventFeed.js';

const [url] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const feed = createEventFeed({
	connect: async () => {
		const client = new pg.Client({connectionString: url, application_name: 'handoff-top-feed/bench-probe'});
		client.on('error', () => {});
		await client.connect();
		return client;
	},
	start: 'now',
	onEvents(batch) {
		const at = now();
		let text = '';
		for (const event of batch) {
			if (event.eventType !== 'status_changed') continue;
			text += `${JSON.stringify({tag: event.eventData['new_status'], at})}\n`;
		}
		if (text) process.stdout.write(text);
	},
	onStatus(status) {
		if (status.state === 'live') process.stderr.write('ready\n');
	},
});
await feed.start();
process.on('SIGTERM', () => void feed.stop().then(() => process.exit(0)));
