#!/usr/bin/env node
import {setFlagsFromString} from 'node:v8';

// React's development build keeps a PerformanceMeasure per render forever; the
// bundle is built for production, and this keeps any unbundled import on the
// same path. Set before anything imports React.
process.env.NODE_ENV ??= 'production';

// V8 grows the young generation up to 3 x 16 MB when a process allocates
// steadily, as the monitor does while events stream in: about 45 MB of RSS for
// little gain. Keeping it at its size once started costs some CPU in more
// frequent scavenges (measured side by side at 100 events/s over 2 minutes: RSS
// 124-163 MB -> 121-145 MB, CPU 14.0 % -> 15.3 % of one core). Set a second in,
// so start-up (which allocates most) is not slowed; a --max-semi-space-size of
// the user's own wins.
if (!`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('semi-space')) {
	setTimeout(() => setFlagsFromString('--semi-space-growth-factor=1'), 1000).unref();
}

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
