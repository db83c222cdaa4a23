#!/usr/bin/env node
// React's development build keeps a PerformanceMeasure per render forever; the
// bundle is built for production, and this keeps any unbundled import on the
// same path. Set before anything imports React.
process.env.NODE_ENV ??= 'production';

let cli;
try {
	cli = await import('../dist/cli.js');
} catch (error) {
	if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
		process.stderr.write('handoff-top: not built yet: run `npm install` (or `npm run build`) in its folder\n');
		process.exit(70);
	}
	throw error;
}
await cli.main(process.argv.slice(2));
