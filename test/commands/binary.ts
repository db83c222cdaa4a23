// The real CLI for a test run: the same bundle as `npm run build`, built into
// a private folder (test/demo/builtCli.ts) so that another process rebuilding
// dist/ cannot pull it away mid-test; and helpers to run it.
import {spawn, type ChildProcess} from 'node:child_process';

export {buildCli as buildBinary} from '../demo/builtCli.js';

export type Run = {code: number | null; stdout: string; stderr: string};

export function start(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & {output: {stdout: string; stderr: string}} {
	const {CI: _ci, DATABASE_URL: _url, ...rest} = process.env;
	const child = spawn(process.execPath, [bin, ...args], {env: {...rest, ...env}, stdio: ['ignore', 'pipe', 'pipe']}) as ChildProcess & {
		output: {stdout: string; stderr: string};
	};
	child.output = {stdout: '', stderr: ''};
	child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (child.output.stdout += chunk));
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (child.output.stderr += chunk));
	closedChildren.set(child, new Promise(resolve => child.once('close', () => resolve())));
	return child;
}

/** 'close' of the children start() made: their output has been read to the end. */
const closedChildren = new WeakMap<ChildProcess, Promise<void>>();

/** The exit code, once the output is read: 'exit' can come before the last of stdout and stderr is read (CI saw a
 * usage error's one line missing), so this waits for 'close' too, at most 2 s after the exit (a grandchild that
 * kept the pipes open must not hold a test up). */
export async function exited(child: ChildProcess): Promise<number | null> {
	const code = child.exitCode !== null || child.signalCode !== null ? child.exitCode : await new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
	const closed = closedChildren.get(child);
	if (closed) {
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([closed, new Promise(resolve => (timer = setTimeout(resolve, 2000)))]);
		clearTimeout(timer);
	}

	return code;
}

export async function runBinary(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
	const child = start(bin, args, env);
	const code = await exited(child);
	return {code, ...child.output};
}

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
	const started = Date.now();
	while (!(await condition())) {
		if (Date.now() - started > timeoutMs) throw new Error(`${what} not met in ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}
