// Live-latency writer (a child process of the bench): changes session status
// at a steady rate, one status value per event ('L<n>'), on several
// connections, and prints each event's tag with the time its COMMIT was
// acknowledged, as JSON lines: {"tag": "L12", "at": 1732...}.
//   node writer.js <url> <eventsPerSecond> <seconds> <sessions> [runId]
import pg from 'pg';

const [url, rateArg, secondsArg, sessionsArg, runArg] = process.argv.slice(2);
const runId = runArg ?? String(Date.now() % 1_000_000);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const sessions = Number(sessionsArg);
const connections = rate >= 1000 ? 6 : 2;
const perTx = Math.max(1, Math.ceil(rate / 500));
const now = () => performance.timeOrigin + performance.now();

const out: string[] = [];
let issued = 0;
const start = now();
const end = start + seconds * 1000;

async function worker(index: number): Promise<void> {
	const client = new pg.Client({connectionString: url, application_name: 'bench-writer'});
	await client.connect();
	let next = index; // sessions index, index + connections, ... (no two workers touch one session)
	try {
		for (;;) {
			const t = now();
			if (t >= end) break;
			const due = Math.floor(((t - start) / 1000) * rate);
			if (issued >= due) {
				await new Promise(resolve => setTimeout(resolve, 2));
				continue;
			}

			const n = Math.min(perTx, due - issued);
			issued += n;
			const keys: string[] = [];
			const tags: string[] = [];
			for (let i = 0; i < n; i++) {
				keys.push(`bench-${1 + (next % sessions)}`);
				next += connections;
				tags.push(`L${runId}-${index}-${next}`); // unique across runs: a repeated status is no change, hence no event
			}

			await client.query(
				'UPDATE sessions s SET status = v.tag FROM unnest($1::text[], $2::text[]) AS v(key, tag) WHERE s.session_key = v.key',
				[keys, tags],
			);
			const at = now();
			for (const tag of tags) out.push(JSON.stringify({tag, at}));
		}
	} finally {
		await client.end();
	}
}

await Promise.all(Array.from({length: connections}, (_, i) => worker(i)));
process.stdout.write(`${out.join('\n')}\n`);
