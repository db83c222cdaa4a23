// One PostgreSQL server for the whole run: embedded (PG 18) unless
// HANDOFF_TEST_DATABASE_URL names one. Each test file creates its own database
// on it (test/helpers/database.ts). The embedded server and its data directory
// go away at the end, also when tests fail or the run is interrupted.
import type {TestProject} from 'vitest/node';
import {killEmbeddedServerSync, startEmbeddedServer} from '../../source/embedded/embeddedServer.js';

declare module 'vitest' {
	export interface ProvidedContext {
		adminUrl: string;
	}
}

export default async function setup(project: TestProject) {
	const external = process.env['HANDOFF_TEST_DATABASE_URL'];
	if (external) {
		project.provide('adminUrl', external);
		return;
	}

	const server = await startEmbeddedServer({
		settings: {fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off'},
	});
	project.provide('adminUrl', server.url);
	const kill = () => killEmbeddedServerSync(server);
	const onSignal = (signal: NodeJS.Signals) => {
		kill();
		process.exit(signal === 'SIGINT' ? 130 : 143);
	};

	process.once('exit', kill);
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	return async () => {
		await server.stop();
		process.off('exit', kill);
	};
}
