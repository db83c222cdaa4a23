// prometheus and promtool (Debian package 'prometheus'): .ci/run installs them.
// In CI their absence fails the tests that need them; elsewhere those tests
// are skipped with the reason.
import {spawnSync} from 'node:child_process';

function found(name: string): string | undefined {
	const which = spawnSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'});
	return which.status === 0 ? which.stdout.trim() : undefined;
}

export const promtool = found('promtool');
export const prometheus = found('prometheus');
const inCi = process.env['CI'] === 'true';
if (inCi && (!promtool || !prometheus)) throw new Error('CI: prometheus and promtool are missing (.ci/run installs the Debian package prometheus)');
/** Outside CI without the binaries: skip. */
export const skipWithoutPrometheus = !promtool || !prometheus;
