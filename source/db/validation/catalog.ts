// The live schema as a canonical description: one entry per object, keyed by
// type and name, with the properties that define it as pg_catalog prints them.
// Independent of OIDs, creation order and server version (PostgreSQL 16+
// prints view definitions without table qualifiers, 18 catalogues NOT NULL
// constraints: both are normalised or left out here).
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../sqlText.js';

export const objectTypes = ['table', 'view', 'column', 'index', 'constraint', 'trigger', 'function', 'notification'] as const;
export type ObjectType = (typeof objectTypes)[number];

export type PropertyValue = string | boolean | null;
export type SchemaObject = {
	type: ObjectType;
	name: string;
	/** The table or view a column, index, constraint or trigger belongs to. */
	relation?: string;
	properties: Record<string, PropertyValue>;
};

/** key `${type}:${name}` → object, keys sorted. */
export type SchemaDescription = Record<string, SchemaObject>;

export const objectKey = (type: ObjectType, name: string) => `${type}:${name}`;

const relationRow = z.object({
	name: z.string(),
	kind: z.string(),
	persistence: z.string(),
	view_definition: z.string().nullable(),
});
const columnRow = z.object({
	relation: z.string(),
	name: z.string(),
	type: z.string(),
	not_null: z.boolean(),
	default_expr: z.string().nullable(),
	identity: z.string(),
	generated: z.string(),
});
const indexRow = z.object({name: z.string(), relation: z.string(), definition: z.string(), valid: z.boolean()});
const constraintRow = z.object({
	name: z.string(),
	relation: z.string(),
	kind: z.string(),
	definition: z.string(),
	validated: z.boolean(),
});
const triggerRow = z.object({name: z.string(), relation: z.string(), definition: z.string(), enabled: z.string()});
const functionRow = z.object({
	name: z.string(),
	identity_arguments: z.string(),
	arguments: z.string(),
	result: z.string().nullable(),
	language: z.string(),
	kind: z.string(),
	volatility: z.string(),
	security_definer: z.boolean(),
	config: z.string(),
	source_md5: z.string(),
});
const gateRow = z.object({channel: z.string(), listener_pattern: z.string().nullable()});

const relationKinds: Record<string, string> = {r: 'table', p: 'partitioned table', v: 'view', m: 'materialized view', f: 'foreign table'};
const persistence: Record<string, string> = {p: 'logged', u: 'unlogged', t: 'temporary'};
const triggerStates: Record<string, string> = {O: 'enabled', D: 'disabled', R: 'replica', A: 'always'};
const volatility: Record<string, string> = {i: 'immutable', s: 'stable', v: 'volatile'};
const functionKinds: Record<string, string> = {f: 'function', p: 'procedure', a: 'aggregate', w: 'window'};

function escapeRegExp(text: string): string {
	return text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Drops `schema.` before identifiers: the schema is the one inspected. */
function unqualify(text: string, schema: string): string {
	const quoted = /^[a-z_][a-z0-9_$]*$/.test(schema) ? schema : `"${schema.replaceAll('"', '""')}"`;
	return text.replaceAll(new RegExp(`(^|[^A-Za-z0-9_$"])${escapeRegExp(quoted)}\\.`, 'g'), '$1');
}

/** A view's definition in a form every server version prints alike: table
 * qualifiers dropped (16+ omits them for single-table views) and whitespace
 * collapsed. What remains still tells one view from another. */
export function normaliseViewDefinition(definition: string): string {
	return definition
		.replaceAll(/\b[A-Za-z_][A-Za-z0-9_]*\.(?=[A-Za-z_"])/g, '')
		.replaceAll(/\s+/g, ' ')
		.trim();
}

export async function currentSchema(client: pg.ClientBase): Promise<string> {
	const {rows} = await client.query(sqlText('validate/current_schema'));
	return z.object({schema: z.string()}).parse(rows[0]).schema;
}

export async function inspectSchema(client: pg.ClientBase): Promise<SchemaDescription> {
	const schema = await currentSchema(client);
	const query = async <T>(name: string, row: z.ZodType<T>): Promise<T[]> =>
		(await client.query(sqlText(`validate/${name}`))).rows.map(value => row.parse(value));
	const objects: SchemaObject[] = [];

	const relations = await query('relations', relationRow);
	for (const r of relations) {
		const isView = r.kind === 'v';
		objects.push({
			type: isView ? 'view' : 'table',
			name: r.name,
			properties: isView
				? {definition: normaliseViewDefinition(r.view_definition ?? '')}
				: {kind: relationKinds[r.kind] ?? r.kind, persistence: persistence[r.persistence] ?? r.persistence},
		});
	}

	for (const c of await query('columns', columnRow)) {
		objects.push({
			type: 'column',
			name: `${c.relation}.${c.name}`,
			relation: c.relation,
			properties: {
				type: c.type,
				nullable: !c.not_null,
				default: c.default_expr === null ? null : unqualify(c.default_expr, schema),
				identity: c.identity === 'a' ? 'always' : c.identity === 'd' ? 'by default' : null,
				generated: c.generated === 's' ? 'stored' : c.generated === 'v' ? 'virtual' : null,
			},
		});
	}

	for (const i of await query('indexes', indexRow)) {
		objects.push({
			type: 'index',
			name: i.name,
			relation: i.relation,
			properties: {definition: unqualify(i.definition, schema), valid: i.valid},
		});
	}

	for (const c of await query('constraints', constraintRow)) {
		objects.push({
			type: 'constraint',
			name: `${c.relation}.${c.name}`,
			relation: c.relation,
			properties: {definition: unqualify(c.definition, schema), validated: c.validated},
		});
	}

	for (const t of await query('triggers', triggerRow)) {
		objects.push({
			type: 'trigger',
			name: `${t.relation}.${t.name}`,
			relation: t.relation,
			properties: {definition: unqualify(t.definition, schema), enabled: triggerStates[t.enabled] ?? t.enabled},
		});
	}

	for (const f of await query('functions', functionRow)) {
		objects.push({
			type: 'function',
			name: `${f.name}(${f.identity_arguments})`,
			properties: {
				kind: functionKinds[f.kind] ?? f.kind,
				arguments: unqualify(f.arguments, schema),
				result: f.result === null ? null : unqualify(f.result, schema),
				language: f.language,
				volatility: volatility[f.volatility] ?? f.volatility,
				security_definer: f.security_definer,
				config: f.config,
				source_md5: f.source_md5,
			},
		});
	}

	// The notification wiring: the gate row the trigger reads. Without it the
	// trigger silently notifies nobody.
	// A hot standby cannot read an unlogged gate (before migration 011): its
	// persistence is drift already, the row is reported unknown (null).
	const gateRelation = relations.find(r => r.name === 'lifecycle_notify_gate' && r.kind === 'r');
	if (gateRelation) {
		const unreadable =
			gateRelation.persistence !== 'p' && z.object({standby: z.boolean()}).parse((await client.query('SELECT pg_is_in_recovery() AS standby')).rows[0]).standby;
		const gate = unreadable ? undefined : await query('notification_gate', gateRow);
		objects.push({
			type: 'notification',
			name: 'lifecycle_notify_gate',
			relation: 'lifecycle_notify_gate',
			properties: {
				row: gate ? gate.length > 0 : null,
				channel: gate ? (gate[0]?.channel ?? null) : null,
			},
		});
	}

	objects.sort((a, b) => compareText(objectKey(a.type, a.name), objectKey(b.type, b.name)));
	return Object.fromEntries(objects.map(o => [objectKey(o.type, o.name), o]));
}

/** Code-point order: the same on every machine, whatever its locale. */
export function compareText(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}
