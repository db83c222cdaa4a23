// What `demo --keep` prints: where the data is and the commands that start the
// server on it again, connect to it, and stop and remove it.
import path from 'node:path';

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

export type KeptData = {
	/** The demo's run directory (removing it removes everything). */
	directory: string;
	dataDir: string;
	/** bin/, lib/ and share/ of the server's binaries (inside the run directory when run as root). */
	binDir: string;
	port: number;
	dsn: string;
};

// As root the server runs as the postgres user that owns the directory.
const asOwner = () => (isRoot() ? 'runuser -u postgres -- ' : '');

export function startCommand({dataDir, binDir, port}: KeptData): string {
	const pgCtl = path.join(binDir, 'bin', 'pg_ctl');
	return `${asOwner()}${pgCtl} -D ${dataDir} -l ${path.join(dataDir, 'server.log')} -w -o "-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start`;
}

export function stopCommand({dataDir, binDir}: KeptData): string {
	return `${asOwner()}${path.join(binDir, 'bin', 'pg_ctl')} -D ${dataDir} stop`;
}

export function keptDataMessage(kept: KeptData): string {
	return [
		`demo data kept in ${kept.dataDir} (the server is stopped)`,
		`  start it again:  ${startCommand(kept)}`,
		`  then connect:    npx handoff-top --dsn ${kept.dsn}`,
		`  simulate more:   npx handoff-top simulate --dsn ${kept.dsn}`,
		`  stop it:         ${stopCommand(kept)}`,
		`  remove it:       rm -rf ${kept.directory}`,
		'',
	].join('\n');
}
