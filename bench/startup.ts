// Benchmark 5: start-up. `handoff-top --version` against `node -e 0` (spawn to
// exit), and the monitor's first frame against `node -e 0` in the same tmux
// harness (spawn until the pane shows its output), interleaved run by run.
import path from 'node:path';
import {createDatabase, dropDatabase, installSchema, type BenchServer} from './lib/server.js';
import {tmuxAvailable, tmuxKill, tmuxStart, waitForPane} from './lib/tmux.js';
import {median, run} from './lib/util.js';

export type StartupResult = {
	runs: number;
	nodeMs: number;
	versionMs: number;
	versionRatio: number;
	frame?: {nodeInTmuxMs: number; firstFrameMs: number; ratio: number; failures: number};
	notes: string[];
};

async function timed(command: string, args: string[]): Promise<number> {
	const t = performance.now();
	const r = await run(command, args, {timeoutMs: 30_000});
	if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
	return performance.now() - t;
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export async function runStartup(server: BenchServer, context: {root: string}, options: {runs: number}, log: (line: string) => void): Promise<StartupResult> {
	const bin = path.join(context.root, 'bin', 'handoff-top.js');
	const notes: string[] = [];
	const node: number[] = [];
	const version: number[] = [];
	await timed(process.execPath, [bin, '--version']); // warm the file cache
	for (let i = 0; i < options.runs; i++) {
		node.push(await timed(process.execPath, ['-e', '0']));
		version.push(await timed(process.execPath, [bin, '--version']));
	}

	const result: StartupResult = {runs: options.runs, nodeMs: median(node), versionMs: median(version), versionRatio: median(version) / median(node), notes};
	log(`startup: node -e 0 ${result.nodeMs.toFixed(0)} ms, --version ${result.versionMs.toFixed(0)} ms (x${result.versionRatio.toFixed(2)})`);

	if (!(await tmuxAvailable())) {
		notes.push('tmux not found: first frame not measured');
		return result;
	}

	const db = await createDatabase(server.adminUrl, 'bench_startup');
	try {
		await installSchema(db.url, 'handoff-top', context.root);
		const nodeFrame: number[] = [];
		const first: number[] = [];
		let failures = 0;
		for (let i = 0; i < options.runs; i++) {
			const a = `ht-bench-node-${process.pid}-${i}`;
			let t = performance.now();
			await tmuxStart(a, `env -u CI ${quote(process.execPath)} -e "console.log('ready'); setTimeout(() => {}, 60000)"`);
			nodeFrame.push(await waitForPane(a, text => text.includes('ready'), 10_000, t));
			await tmuxKill(a);

			const b = `ht-bench-monitor-${process.pid}-${i}`;
			t = performance.now();
			await tmuxStart(b, `env -u CI NO_COLOR=1 ${quote(process.execPath)} ${quote(bin)} --dsn ${quote(db.url)}`);
			// the first frame: the header line with the product name and some layout under it
			const ms = await waitForPane(b, text => /handoff-top/i.test(text) && text.split('\n').filter(l => l.trim()).length >= 3 && !/Usage/.test(text), 15_000, t);
			if (Number.isNaN(ms)) failures++;
			else first.push(ms);
			await tmuxKill(b);
		}

		if (first.length > 0) {
			result.frame = {nodeInTmuxMs: median(nodeFrame), firstFrameMs: median(first), ratio: median(first) / median(nodeFrame), failures};
			log(`startup: first frame ${result.frame.firstFrameMs.toFixed(0)} ms vs node in tmux ${result.frame.nodeInTmuxMs.toFixed(0)} ms (x${result.frame.ratio.toFixed(2)})`);
		} else {
			notes.push(`the monitor showed no frame within 15 s in ${failures} runs`);
		}
	} finally {
		await dropDatabase(server.adminUrl, db.name);
	}

	return result;
}
