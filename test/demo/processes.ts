// Which processes still refer to a directory (in their command line or
// environment): the demo's postgres and its watchdog.
import {readdirSync, readFileSync} from 'node:fs';

export function processesMentioning(text: string): number[] {
	const found: number[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
		for (const file of ['cmdline', 'environ']) {
			try {
				if (readFileSync(`/proc/${entry}/${file}`, 'utf8').includes(text) && isAlive(Number(entry))) {
					found.push(Number(entry));
					break;
				}
			} catch {
				// gone, or not ours to read
			}
		}
	}

	return found;
}

/** Running: exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}

	try {
		return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return false;
	}
}

export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs: number): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 100));
	}
}
