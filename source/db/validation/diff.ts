// Differences between the expected and the live schema, as typed data: what
// is missing, extra or changed, with expected and actual, and how much it
// matters. Text and JSON are made from these (report.ts).
import type {MigrationStatus, Migration} from '../migrations.js';
import {compareText, type ObjectType, type SchemaDescription, type SchemaObject, type PropertyValue} from './catalog.js';
import type {ExpectedSchema} from './expected.js';

export type Severity = 'error' | 'warning' | 'info';
export type DifferenceKind = 'missing' | 'extra' | 'changed';

export type Difference = {
	kind: DifferenceKind;
	objectType: ObjectType | 'migration' | 'bundle';
	name: string;
	severity: Severity;
	/** The expected properties (only those that differ, for 'changed'). */
	expected: Record<string, PropertyValue> | null;
	actual: Record<string, PropertyValue> | null;
	/** What to do about it, when there is one obvious thing. */
	hint?: string;
};

/** Objects that stand on their own; an extra one is somebody else's, not drift. */
const standalone = new Set<ObjectType>(['table', 'view', 'function']);

function changedProperties(expected: SchemaObject, actual: SchemaObject) {
	const names = [...new Set([...Object.keys(expected.properties), ...Object.keys(actual.properties)])];
	const differing = names.filter(name => expected.properties[name] !== actual.properties[name]);
	return {
		expected: Object.fromEntries(differing.map(name => [name, expected.properties[name] ?? null])),
		actual: Object.fromEntries(differing.map(name => [name, actual.properties[name] ?? null])),
		differing,
	};
}

/** Compares object by object. A missing or extra table is reported once, not
 * again for each of its columns, indexes, constraints and triggers. */
export function diffSchemas(expected: SchemaDescription, actual: SchemaDescription): Difference[] {
	const differences: Difference[] = [];
	const missingRelations = new Set(
		Object.values(expected)
			.filter(o => (o.type === 'table' || o.type === 'view') && !actual[`${o.type}:${o.name}`])
			.map(o => o.name),
	);
	const extraRelations = new Set(
		Object.values(actual)
			.filter(o => (o.type === 'table' || o.type === 'view') && !expected[`${o.type}:${o.name}`])
			.map(o => o.name),
	);

	for (const [key, want] of Object.entries(expected)) {
		const have = actual[key];
		if (!have) {
			if (want.relation !== undefined && missingRelations.has(want.relation) && want.type !== 'table' && want.type !== 'view') continue;
			differences.push({kind: 'missing', objectType: want.type, name: want.name, severity: 'error', expected: want.properties, actual: null});
			continue;
		}

		const changed = changedProperties(want, have);
		if (changed.differing.length > 0) {
			differences.push({
				kind: 'changed',
				objectType: want.type,
				name: want.name,
				severity: 'error',
				expected: changed.expected,
				actual: changed.actual,
			});
		}
	}

	for (const [key, have] of Object.entries(actual)) {
		if (expected[key]) continue;
		if (have.relation !== undefined && extraRelations.has(have.relation)) continue;
		differences.push({
			kind: 'extra',
			objectType: have.type,
			name: have.name,
			severity: standalone.has(have.type) ? 'info' : 'warning',
			expected: null,
			actual: have.properties,
		});
	}

	return sortDifferences(differences);
}

/** The migration history against the files shipped, and those files against
 * the expected schema they were generated with. */
export function diffHistory(status: MigrationStatus, migrations: Migration[], expected: ExpectedSchema): Difference[] {
	const differences: Difference[] = [];
	if (!status.trackingTable) {
		differences.push({
			kind: 'missing',
			objectType: 'migration',
			name: 'handoff_top_migrations',
			severity: 'error',
			expected: {history: 'recorded'},
			actual: null,
			hint: 'no migration history: run `handoff-top migrate` (it baselines what exists)',
		});
	} else {
		for (const migration of status.pending) {
			differences.push({
				kind: 'missing',
				objectType: 'migration',
				name: migration.file,
				severity: 'error',
				expected: {checksum: migration.checksum},
				actual: null,
				hint: 'not applied: run `handoff-top migrate`',
			});
		}

		for (const {migration, applied} of status.changed) {
			differences.push({
				kind: 'changed',
				objectType: 'migration',
				name: migration.file,
				severity: 'error',
				expected: {checksum: applied.checksum},
				actual: {checksum: migration.checksum},
				hint: 'the file differs from the one applied: restore it (or resolve the change with a new migration)',
			});
		}

		for (const applied of status.applied) {
			const migration = migrations.find(m => m.version === applied.version);
			if (!migration || applied.checksum === migration.checksum || !migration.supersedes.includes(applied.checksum)) continue;
			differences.push({
				kind: 'changed',
				objectType: 'migration',
				name: migration.file,
				severity: 'info',
				expected: {checksum: migration.checksum},
				actual: {checksum: applied.checksum},
				hint: 'applied as an earlier revision of the file, which this one supersedes (later migrations make up the difference)',
			});
		}

		for (const applied of status.unknown) {
			differences.push({
				kind: 'extra',
				objectType: 'migration',
				name: `${String(applied.version).padStart(3, '0')}_${applied.name}.sql`,
				severity: 'warning',
				expected: null,
				actual: {checksum: applied.checksum},
				hint: 'applied by a newer handoff-top than this one',
			});
		}
	}

	const generatedFrom = new Map(expected.migrations.map(m => [m.file, m.checksum]));
	for (const migration of migrations) {
		const want = generatedFrom.get(migration.file);
		if (want === migration.checksum) continue;
		differences.push({
			kind: want === undefined ? 'extra' : 'changed',
			objectType: 'bundle',
			name: migration.file,
			severity: 'error',
			expected: want === undefined ? null : {checksum: want},
			actual: {checksum: migration.checksum},
			hint: 'the bundled SQL files and sql/expected_schema.json disagree (`npm run schema:generate`)',
		});
	}

	for (const step of expected.migrations) {
		if (migrations.some(m => m.file === step.file)) continue;
		differences.push({
			kind: 'missing',
			objectType: 'bundle',
			name: step.file,
			severity: 'error',
			expected: {checksum: step.checksum},
			actual: null,
			hint: 'a migration file the expected schema was generated from is not shipped',
		});
	}

	return sortDifferences(differences);
}

const severityOrder: Record<Severity, number> = {error: 0, warning: 1, info: 2};

export function sortDifferences(differences: Difference[]): Difference[] {
	return differences.sort(
		(a, b) =>
			severityOrder[a.severity] - severityOrder[b.severity] ||
			compareText(a.objectType, b.objectType) ||
			compareText(a.name, b.name),
	);
}

/** Drift: anything an operator must look at. 'info' (unrelated objects that
 * share the schema) is reported but does not fail the check. */
export function isDrift(differences: Difference[]): boolean {
	return differences.some(d => d.severity !== 'info');
}
