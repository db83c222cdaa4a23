// A guard for the demo's embedded PostgreSQL that outlives the demo: a
// detached process that waits for the demo's pid to vanish - however it ended,
// SIGKILL included - then stops the server (fast shutdown, then immediate,
// then kill) and removes its run directory (unless --keep). After a clean
// stop the demo dismisses it.
import {spawn} from 'node:child_process';

// Plain JavaScript run with `node -e`, so it needs no file from the bundle.
const program = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const parent = Number(process.env.HT_WATCH_PARENT);
const dir = process.env.HT_WATCH_DIR;
const keep = process.env.HT_WATCH_KEEP === '1';
// A zombie (exited, not yet reaped by an init that may never reap) counts as gone.
const zombie = pid => { try { return /^\d+ \(.*\) Z/.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8')); } catch { return false; } };
const alive = pid => { try { process.kill(pid, 0); } catch (error) { if (error.code !== 'EPERM') return false; } return !zombie(pid); };
// The server's pid from its lock file (absent before it starts and after a clean stop).
const postmaster = () => {
	try { return Number(fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]); }
	catch { return 0; }
};
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
const cleanup = () => {
	const pid = postmaster();
	const since = Date.now();
	let sent = '';
	const step = () => {
		if (pid > 0 && alive(pid)) {
			const waited = Date.now() - since;
			const signal = waited < 5000 ? 'SIGINT' : waited < 10000 ? 'SIGQUIT' : 'SIGKILL';
			if (signal !== sent) { try { process.kill(pid, signal); } catch {} sent = signal; }
			setTimeout(step, 100);
			return;
		}
		if (!keep) { try { fs.rmSync(dir, {recursive: true, force: true}); } catch {} }
		process.exit(0);
	};
	step();
};
const timer = setInterval(() => { if (!alive(parent)) { clearInterval(timer); cleanup(); } }, 200);
`;

export type Watchdog = {pid: number | undefined; dismiss(): void};

export function startWatchdog(options: {directory: string; keep: boolean}): Watchdog {
	const child = spawn(process.execPath, ['-e', program], {
		detached: true,
		stdio: 'ignore',
		env: {
			PATH: process.env['PATH'] ?? '',
			HT_WATCH_PARENT: String(process.pid),
			HT_WATCH_DIR: options.directory,
			HT_WATCH_KEEP: options.keep ? '1' : '0',
		},
	});
	child.on('error', () => {});
	child.unref();
	return {
		pid: child.pid,
		dismiss() {
			try {
				if (child.pid) process.kill(child.pid, 'SIGTERM');
			} catch {
				// gone already
			}
		},
	};
}
