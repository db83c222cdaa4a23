// Columns sized to their content within the width: full values at 120 columns,
// and at 80 the least useful column is cut first, numbers never.
import {afterEach, describe, expect, it} from 'vitest';
import {cleanup} from 'ink-testing-library';
import {textTable} from '../../source/commands/textTable.js';
import type {MetricLatest} from '../../source/queries/metrics.js';
import {layoutColumns} from '../../source/ui/components/Table.js';
import {renderMonitor, sessionRow} from './render.js';

afterEach(() => cleanup());

const now = Date.now();
const longKey = 'incident-2026-11-30-payments-api-rollback-xyz'; // 45 characters
const longAgents = ['claude-sonnet-4-5', 'gpt-5-codex-high'] as const;

const longRow = (key: string, n: number) => sessionRow(n, {sessionKey: key, agentFrom: longAgents[0], agentTo: longAgents[1], contextCount: 12_345});

const sessions = {sessionsPage: async () => ({rows: [longRow(longKey, 1), longRow('short', 2)], total: 2})};

function metricRow(name: string, labels: Record<string, string>): MetricLatest {
	return {name, labels, type: 'gauge', value: 42, recordedAt: new Date(now - 5000)} as MetricLatest;
}

const metricNames = ['handoff_request_duration_p50_ms', 'handoff_request_duration_p95_ms', 'handoff_request_duration_p99_ms'];
const metrics = {metricsLatest: async () => metricNames.map(name => metricRow(name, {instance: 'handoff-server-eu-west-1a', operation: 'request_handoff'}))};

describe('column widths follow the content', () => {
	it('Sessions at 120 columns: the 45-character key and both agents whole', async () => {
		const ui = renderMonitor({size: {columns: 120, rows: 36}, app: {initialScreen: 'sessions'}, data: sessions});
		const text = await ui.waitForText('short');
		expect(text).toContain(longKey);
		expect(text).toContain(`${longAgents[0]}→${longAgents[1]}`);
		expect(text).toContain('12.3k');
	});

	it('Sessions at 80 columns: agents are cut first, the key keeps more, numbers whole', async () => {
		const ui = renderMonitor({size: {columns: 80, rows: 24}, app: {initialScreen: 'sessions'}, data: sessions});
		const text = await ui.waitForText('short');
		const line = text.split('\n').find(l => l.includes('incident-'))!;
		expect(line).toContain('…');
		expect(line).toContain('12.3k');
		expect(line).toContain('active');
		// the agents column is at its floor before the key is cut
		const widths = layoutColumns(
			[
				{header: 'session', width: 14, grow: true, cut: 2},
				{header: 'agents', width: 12, cut: 1},
				{header: 'n', width: 5, align: 'right'},
			],
			50,
			[[longKey, `${longAgents[0]}→${longAgents[1]}`, '12345']],
		);
		expect(widths).toEqual([50 - 3 - 12 - 5, 12, 5]);
		expect(line.length).toBeLessThanOrEqual(80);
	});

	it('Metrics at 80x24: names that share a long prefix stay distinct, the labels are cut', async () => {
		const ui = renderMonitor({size: {columns: 80, rows: 24}, app: {initialScreen: 'metrics'}, data: metrics});
		const text = await ui.waitForText('p99');
		for (const name of metricNames) expect(text).toContain(name);
		expect(text).toContain('instance=handoff');
	});

	it('snapshot: the least useful column is cut first, numbers never', () => {
		const lines = textTable(
			[{header: 'SESSION', flexible: 2}, {header: 'AGENTS', flexible: 1}, {header: 'CTX', align: 'right'}],
			[[longKey, `${longAgents[0]}→${longAgents[1]}`, '12345']],
			70,
		);
		expect(lines[1]).toContain(longKey);
		expect(lines[1]).toContain('12345');
		expect(lines[1]).toContain('…');
		expect(lines.every(l => l.length <= 70)).toBe(true);
	});
});
