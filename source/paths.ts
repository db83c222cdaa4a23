import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

let root: string | undefined;

/** The installed package's folder (holds package.json and sql/), found from
 * this module's location so it works from source/ under test and from dist/. */
export function packageRoot(): string {
	if (root) return root;
	let dir = path.dirname(fileURLToPath(import.meta.url));
	for (;;) {
		const manifest = path.join(dir, 'package.json');
		if (existsSync(manifest) && existsSync(path.join(dir, 'sql'))) {
			root = dir;
			return dir;
		}

		const parent = path.dirname(dir);
		if (parent === dir) throw new Error('handoff-top: cannot find its package folder (package.json with sql/)');
		dir = parent;
	}
}

export function packageVersion(): string {
	const manifest = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {version: string};
	return manifest.version;
}
