// Readers over tables shaped as the real handoff server creates them: its
// system_metrics has no CHECK on metric_type and allows NULL labels, so the
// Metrics screen must read whatever it holds (one odd row made it 'cannot load').
import {describe, expect, it} from 'vitest';
import {connect} from '../../source/db/connection.js';
import {metricsLatest} from '../../source/queries/metrics.js';
import {useServerDatabases} from '../helpers/serverDatabases.js';

const server = useServerDatabases();

describe("metrics on the handoff server's system_metrics", () => {
	it('reads any metric type and NULL labels', async () => {
		const database = await server.migrated();
		await server.query(
			`ALTER TABLE system_metrics DROP CONSTRAINT system_metrics_metric_type_check;
			 ALTER TABLE system_metrics ALTER COLUMN labels DROP NOT NULL;
			 INSERT INTO system_metrics (metric_name, metric_value, metric_type, labels) VALUES
			     ('memory_usage_bytes', 123456, 'gauge', NULL), ('request_summary', 7, 'summary', '{"q": "0.5"}')`,
			[],
			database,
		);
		const client = await connect({dsn: server.url(database), purpose: 'monitor', component: '-test'});
		try {
			const rows = await metricsLatest(client);
			expect(rows.map(r => [r.name, r.type, r.labels, r.value])).toEqual([
				['memory_usage_bytes', 'gauge', {}, 123456],
				['request_summary', 'summary', {q: '0.5'}, 7],
			]);
		} finally {
			await client.end();
		}
	});
});
