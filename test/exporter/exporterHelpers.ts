// Helpers for the exporter tests: start the built binary on a free port, read
// its /metrics, and pick values out of the text with the format's own parser
// (parsePrometheusText below follows the text format: name{labels} value).
import {type ChildProcess} from 'node:child_process';
import {start, until} from '../commands/binary.js';

export type Exporter = ChildProcess & {output: {stdout: string; stderr: string}; url: string};

export async function startExporter(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exporter> {
	const child = start(bin, ['exporter', '--listen', '127.0.0.1:0', ...args], env) as Exporter;
	await until(() => /on (http:\/\/\S+\/metrics)/.test(child.output.stderr) || child.exitCode !== null, 15_000, 'exporter listening');
	const match = /on (http:\/\/\S+\/metrics)/.exec(child.output.stderr);
	if (!match) throw new Error(`exporter did not start: ${child.output.stderr}`);
	child.url = match[1]!;
	return child;
}

export async function scrape(url: string): Promise<string> {
	const response = await fetch(url);
	if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
	return response.text();
}

export type Sample = {name: string; labels: Record<string, string>; value: number};

export function parsePrometheusText(text: string): Sample[] {
	const samples: Sample[] = [];
	for (const line of text.split('\n')) {
		if (line === '' || line.startsWith('#')) continue;
		const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
		if (!match) throw new Error(`not a sample line: ${line}`);
		const labels: Record<string, string> = {};
		for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!.replaceAll(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
		samples.push({name: match[1]!, labels, value: match[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[3])});
	}

	return samples;
}

/** The value of the one sample with this name whose labels include `labels`; undefined when there is none. */
export function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
	const found = samples.filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
	if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
	return found[0]?.value;
}
