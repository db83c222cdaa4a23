// The exporter's HTTP server: GET /metrics reads every database (in parallel,
// each on its own connection) and answers with the text prom-client formats.
// A read that takes longer than waitMs is not waited for: that database is
// served as down for this scrape and its read goes on; the next scrape joins
// it. Scrapes that overlap share one read per database and one rendering.
import http from 'node:http';
import {CliError, exitCodes} from '../exitCodes.js';
import type {DatabaseCollector} from './databaseCollector.js';
import {createExporterMetrics} from './exporterMetrics.js';

export type ExporterServerOptions = {
	host: string;
	port: number;
	collectors: DatabaseCollector[];
	labels: Record<string, string>;
	/** How long a scrape waits for a database's read (default 5 s; Prometheus' scrape timeout is 10 s). */
	waitMs?: number;
	/** After each scrape's reads: the exporter saves its state here. */
	afterRead?: () => void;
};

const index = (path: string) => `<html><head><title>handoff-top exporter</title></head><body><h1>handoff-top exporter</h1><p><a href="${path}">${path}</a></p></body></html>\n`;

export async function startExporterServer(options: ExporterServerOptions): Promise<{url: string; close(): Promise<void>}> {
	const metrics = createExporterMetrics(options.labels);
	const waitMs = options.waitMs ?? 5000;
	let rendering: Promise<string> | undefined;

	async function scrape(): Promise<string> {
		const answered = await Promise.all(
			options.collectors.map(async collector => {
				let timer: NodeJS.Timeout | undefined;
				const late = new Promise<false>(resolve => {
					timer = setTimeout(() => resolve(false), waitMs);
				});
				const done = await Promise.race([collector.collect().then(() => true as const), late]);
				clearTimeout(timer);
				return done;
			}),
		);
		options.afterRead?.();
		return metrics.render(
			options.collectors.map((collector, i) => {
				const status = collector.status();
				// a read still running past waitMs: down for this scrape
				return {name: collector.name, status: answered[i] ? status : {...status, up: false}, counters: collector.state()};
			}),
		);
	}

	const server = http.createServer((request, response) => {
		const path = (request.url ?? '/').split('?')[0];
		if (request.method !== 'GET' && request.method !== 'HEAD') {
			response.writeHead(405, {allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8'}).end('method not allowed\n');
			return;
		}

		if (path === '/') {
			response.writeHead(200, {'content-type': 'text/html; charset=utf-8'}).end(index('/metrics'));
			return;
		}

		if (path !== '/metrics') {
			response.writeHead(404, {'content-type': 'text/plain; charset=utf-8'}).end('not found: the metrics are at /metrics\n');
			return;
		}

		rendering ??= scrape().finally(() => {
			rendering = undefined;
		});
		rendering.then(
			text => response.writeHead(200, {'content-type': metrics.contentType}).end(request.method === 'HEAD' ? undefined : text),
			(error: unknown) => response.writeHead(500, {'content-type': 'text/plain; charset=utf-8'}).end(`${error instanceof Error ? error.message : String(error)}\n`),
		);
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', (error: NodeJS.ErrnoException) => {
			const where = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
			if (error.code === 'EADDRINUSE') reject(new CliError(`--listen ${where}: the address is in use (another exporter?)`, exitCodes.usage));
			else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') reject(new CliError(`--listen ${where}: no such local address`, exitCodes.usage));
			else if (error.code === 'EACCES') reject(new CliError(`--listen ${where}: permission denied (ports below 1024 need privileges)`, exitCodes.usage));
			else reject(new CliError(`--listen ${where}: ${error.message}`, exitCodes.usage));
		});
		server.listen(options.port, options.host, () => resolve());
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : options.port;
	const host = options.host.includes(':') ? `[${options.host}]` : options.host;
	return {
		url: `http://${host}:${port}/metrics`,
		async close() {
			server.closeAllConnections();
			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}
