import {spawn, type SpawnOptions} from 'node:child_process';
import {existsSync} from 'node:fs';

export const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

export function median(values: number[]): number {
	if (values.length === 0) return Number.NaN;
	const s = [...values].sort((a, b) => a - b);
	const m = Math.floor(s.length / 2);
	return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
	if (values.length === 0) return Number.NaN;
	const s = [...values].sort((a, b) => a - b);
	const rank = Math.max(1, Math.ceil((p / 100) * s.length));
	return s[rank - 1]!;
}

export function fmt(value: number, digits = 2): string {
	if (!Number.isFinite(value)) return 'n/a';
	return value.toFixed(digits);
}

/** Wall-clock time in ms with sub-ms resolution, comparable across processes. */
export function nowMs(): number {
	return performance.timeOrigin + performance.now();
}

export type RunResult = {code: number | null; stdout: string; stderr: string};

export function run(command: string, args: string[], options: SpawnOptions & {timeoutMs?: number} = {}): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {...options, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout!.on('data', d => (stdout += d));
		child.stderr!.on('data', d => (stderr += d));
		const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
		child.on('error', reject);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
	});
}

/** pgbench from PATH or a PostgreSQL installation under /usr/lib/postgresql. */
export async function findPgbench(): Promise<string | undefined> {
	const candidates = ['pgbench'];
	for (const v of ['18', '17', '16', '15', '14', '13']) candidates.push(`/usr/lib/postgresql/${v}/bin/pgbench`);
	for (const c of candidates) {
		if (c.startsWith('/') && !existsSync(c)) continue;
		try {
			const r = await run(c, ['--version'], {timeoutMs: 5000});
			if (r.code === 0) return c;
		} catch {
			// not there
		}
	}

	return undefined;
}

/** Rotates a list by n: round r runs the configurations in a different order. */
export function rotate<T>(items: T[], n: number): T[] {
	const k = ((n % items.length) + items.length) % items.length;
	return [...items.slice(k), ...items.slice(0, k)];
}
