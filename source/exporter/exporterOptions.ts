// The exporter's flags, checked before anything connects: --listen HOST:PORT,
// --dsn (repeatable; NAME=URL names the database label), --label k=v
// (repeatable), --state FILE, --storage-limit SIZE.
import {z} from 'zod';
import {CliError, exitCodes} from '../exitCodes.js';
import {resolveConnection} from '../db/connection.js';
import {checkFlags, storageLimitFlag} from '../commands/commandOptions.js';

/** Outside the Prometheus exporter port allocations (9100-9999, all taken) and no well-known service's. */
export const defaultPort = 10_280;
export const defaultHost = '127.0.0.1';

/** Labels the exporter sets itself; --label may not take them. */
const reservedLabels = new Set(['database', 'state', 'status', 'event_type', 'operation', 'le', 'table', 'ceiling', 'job', 'instance']);
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const databaseName = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export type ExporterTarget = {name: string; dsn: string | undefined; label: string};
export type ExporterOptions = {
	host: string;
	port: number;
	targets: ExporterTarget[];
	labels: Record<string, string>;
	state: string | undefined;
	/** --storage-limit in bytes (the Storage screen's limit): the storage forecast's ceiling=limit. */
	storageLimitBytes: number | undefined;
};

function usage(text: string): never {
	throw new CliError(text, exitCodes.usage);
}

function list(value: unknown): string[] {
	if (value === undefined) return [];
	return (Array.isArray(value) ? value : [value]).map(String);
}

export function parseListen(text: string): {host: string; port: number} {
	const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim()) ?? /^()()(\d{1,5})$/.exec(text.trim());
	const port = match ? Number(match[3]) : Number.NaN;
	if (!match || !Number.isInteger(port) || port > 65_535) usage(`--listen must be HOST:PORT, [IPv6]:PORT or PORT with a port from 0 (any free one) to 65535 (got '${text}')`);
	const host = match[1] ?? match[2] ?? '';
	return {host: host === '' ? defaultHost : host, port};
}

export function parseExporterOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ExporterOptions {
	const listen = flags['listen'];
	if (listen !== undefined && typeof listen !== 'string') usage('--listen needs HOST:PORT');
	const {host, port} = listen === undefined ? {host: defaultHost, port: defaultPort} : parseListen(listen);

	const labels: Record<string, string> = {};
	for (const pair of list(flags['label'])) {
		const at = pair.indexOf('=');
		const key = at > 0 ? pair.slice(0, at) : '';
		if (!labelName.test(key) || key.startsWith('__')) usage(`--label must be NAME=VALUE with a Prometheus label name (got '${pair}')`);
		if (reservedLabels.has(key)) usage(`--label ${key} is set by the exporter itself; choose another name (got '${pair}')`);
		if (Object.hasOwn(labels, key)) usage(`--label ${key} given twice`);
		labels[key] = pair.slice(at + 1);
	}

	const dsns = list(flags['dsn']);
	const targets: ExporterTarget[] = [];
	for (const given of dsns.length === 0 ? [undefined] : dsns) {
		let name: string | undefined;
		let dsn = given;
		const named = given === undefined ? null : /^([^=:/]+)=(.*)$/.exec(given);
		if (named) {
			name = named[1]!;
			dsn = named[2]!;
			if (!databaseName.test(name)) usage(`--dsn NAME=URL: the name may hold letters, digits and _ . - (got '${name}')`);
		}

		if (dsn === '') usage('--dsn must not be empty');
		const resolved = resolveConnection({dsn, purpose: 'monitor', env}); // a malformed DSN is a usage error here
		name ??= resolved.label.slice(resolved.label.indexOf('/') + 1);
		if (targets.some(target => target.name === name)) {
			usage(`two databases are both labelled database="${name}": name them with --dsn NAME=URL`);
		}

		targets.push({name, dsn, label: resolved.label});
	}

	const state = flags['state'];
	if (state !== undefined && (typeof state !== 'string' || state === '')) usage('--state needs a file name');
	const {storageLimit} = checkFlags(z.object({storageLimit: storageLimitFlag}), {storageLimit: flags['storageLimit']});
	return {host, port, targets, labels, state: state as string | undefined, storageLimitBytes: storageLimit};
}
