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
// 124-163 MB -> 121-145 MB, CPU 14.0 % -> 15.3 % of one core). Set 250 ms in:
// by then start-up has grown it to 8 MB (16 MB at 500 ms and 1 s, 2 MB when set
// at once); measured at 80x24 against setting it at 1 s: RSS at rest 90 -> 82
// MB, the first frame unchanged (medians of 10 interleaved runs 737 / 731 ms;
// set at once it cost 33 ms for 6 MB more). Only the growth factor takes effect
// once V8 runs (--max-semi-space-size does not); a --max-semi-space-size of the
// user's own (NODE_OPTIONS) wins.
if (!`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.includes('semi-space')) {
	setTimeout(() => setFlagsFromString('--semi-space-growth-factor=1'), 250).unref();
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
