import {readFileSync} from 'node:fs';
import path from 'node:path';
import {packageRoot} from '../paths.js';

const cache = new Map<string, string>();

/** The text of sql/<name>.sql. Every statement the tool runs lives there. */
export function sqlText(name: string): string {
	let text = cache.get(name);
	if (text === undefined) {
		text = readFileSync(path.join(packageRoot(), 'sql', `${name}.sql`), 'utf8');
		cache.set(name, text);
	}

	return text;
}
