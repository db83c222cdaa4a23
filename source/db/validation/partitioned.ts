// performance_logs or system_metrics converted by `handoff-top partition`
// (sql/partition/): a partitioned table by its time column (created_at,
// recorded_at), whose primary key holds the partition key
// and whose indexes are the partitioned table's (pg_get_indexdef says ON
// ONLY). That is a shape handoff-top made, not drift: validate reports it as
// info, named as such. Only those differences: a missing index or a changed
// column of a partitioned table is still an error.
import {partitionTables} from '../partition.js';
import type {Difference} from './diff.js';
import {loadHandoffServerShapes, type HandoffServerShapes} from './handoffServer.js';

export const partitionedTables: Record<string, {key: string}> = Object.fromEntries(Object.entries(partitionTables).map(([table, key]) => [table, {key}]));

const reason = (table: string) => `partitioned by handoff-top partition (${table} by ${partitionedTables[table]!.key}, daily partitions)`;

/** Why a difference is the partitioned shape of a table, or undefined. */
function partitionedReason(difference: Difference, partitioned: Set<string>, shapes: HandoffServerShapes): string | undefined {
	const {kind, objectType, name, expected, actual} = difference;
	// an index the handoff server creates at its start (if missing), on the partitioned table
	if (kind === 'extra' && objectType === 'index' && typeof actual?.['definition'] === 'string') {
		const have = actual['definition'];
		for (const table of partitioned) {
			if (shapes.indexes[name]?.includes(have.replace(` ON ONLY ${table} USING `, ` ON ${table} USING `)) && have.includes(` ON ONLY ${table} USING `)) {
				return `handoff server: created by the handoff server (at every start, if missing), on the ${reason(table)}`;
			}
		}
	}

	if (kind !== 'changed' || !expected || !actual) return undefined;
	if (objectType === 'table' && partitioned.has(name) && expected['kind'] === 'table' && actual['kind'] === 'partitioned table' && Object.keys(actual).length === 1) {
		return reason(name);
	}

	const [table] = name.split('.');
	if (objectType === 'constraint' && table && partitioned.has(table) && Object.keys(actual).length === 1) {
		const key = partitionedTables[table]!.key;
		const want = expected['definition'];
		if (typeof want === 'string' && /^PRIMARY KEY \(.+\)$/.test(want) && actual['definition'] === want.replace(/\)$/, `, ${key})`)) return `${reason(table)}: the primary key holds the partition key`;
	}

	if (objectType === 'index' && Object.keys(actual).length === 1) {
		const want = expected['definition'];
		const have = actual['definition'];
		if (typeof want !== 'string' || typeof have !== 'string') return undefined;
		for (const table of partitioned) {
			const on = ` ON ${table} USING `;
			if (!want.includes(on)) continue;
			const only = want.replace(on, ` ON ONLY ${table} USING `);
			const key = partitionedTables[table]!.key;
			if (have === only) return `${reason(table)}: the partitioned table's index`;
			if (have === only.replace(/\)$/, `, ${key})`) && want.startsWith('CREATE UNIQUE INDEX')) return `${reason(table)}: the primary key holds the partition key`;
		}
	}

	return undefined;
}

/** The differences, with the partitioned shape of the tables handoff-top partitions as info. */
export function classifyPartitioned(differences: Difference[], shapes = loadHandoffServerShapes()): Difference[] {
	const partitioned = new Set(
		differences
			.filter(d => d.objectType === 'table' && d.kind === 'changed' && d.name in partitionedTables && d.actual?.['kind'] === 'partitioned table')
			.map(d => d.name),
	);
	if (partitioned.size === 0) return differences;
	return differences.map(difference => {
		if (difference.severity === 'info') return difference;
		const hint = partitionedReason(difference, partitioned, shapes);
		return hint ? {...difference, severity: 'info', hint} : difference;
	});
}
