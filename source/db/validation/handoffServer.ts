// What the real handoff server (ragusa-it/ai-handoff-mcp) owns and re-creates
// at every start, and the shapes its own scripts gave its tables before
// handoff-top came (sql/validate/handoff_server.json). A difference that is
// one of those is the server's, not drift: validate reports it as info, named
// as such. Everything handoff-top created and relies on is still checked:
// the server's spec-named triggers must exist, fire as the spec says and be
// enabled; only the bodies of their functions are the server's.
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {z} from 'zod';
import {packageRoot} from '../../paths.js';
import type {PropertyValue} from './catalog.js';
import type {Difference} from './diff.js';

const shapesSchema = z.object({
	functions: z.array(z.string()),
	views: z.array(z.string()),
	indexes: z.record(z.string(), z.array(z.string())),
	columns: z.record(z.string(), z.array(z.record(z.string(), z.union([z.string(), z.boolean(), z.null()])))),
	absentConstraints: z.array(z.string()),
	earlierSetup: z.object({columns: z.record(z.string(), z.array(z.record(z.string(), z.union([z.string(), z.boolean(), z.null()]))))}),
});
export type HandoffServerShapes = z.infer<typeof shapesSchema>;

let loaded: HandoffServerShapes | undefined;
export function loadHandoffServerShapes(): HandoffServerShapes {
	loaded ??= shapesSchema.parse(JSON.parse(readFileSync(path.join(packageRoot(), 'sql', 'validate', 'handoff_server.json'), 'utf8')));
	return loaded;
}

const sameShape = (a: Record<string, PropertyValue> | null, b: Record<string, PropertyValue>) =>
	a !== null && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([key, value]) => a[key] === value);

/** Why a difference is the handoff server's, or undefined when it is not. */
function serverReason(difference: Difference, shapes: HandoffServerShapes): string | undefined {
	const {kind, objectType, name, actual} = difference;
	if (objectType === 'function' && kind === 'changed' && shapes.functions.includes(name)) {
		return "the handoff server's own function (it replaces it at every start); handoff-top does not depend on its body";
	}

	if (objectType === 'view' && kind === 'changed' && shapes.views.includes(name)) {
		return "the handoff server's own view (it replaces it at every start, with the same columns)";
	}

	if (objectType === 'index' && (kind === 'extra' || kind === 'changed')) {
		const definitions = shapes.indexes[name];
		if (definitions && typeof actual?.['definition'] === 'string' && definitions.includes(actual['definition'])) {
			return kind === 'extra'
				? 'created by the handoff server (at every start, if missing) or its setup scripts'
				: 'as the handoff server or its setup scripts created it (the name is taken, so handoff-top keeps it)';
		}
	}

	if (objectType === 'column' && kind === 'changed' && shapes.columns[name]?.some(shape => sameShape(actual, shape))) {
		return 'as the handoff server or its setup scripts created the table, before handoff-top';
	}

	if (objectType === 'constraint' && kind === 'missing' && shapes.absentConstraints.includes(name)) {
		return 'the table predates handoff-top (made by the handoff server or its scripts), without this CHECK; handoff-top does not depend on it';
	}

	return undefined;
}

/** A base table's shape from handoff-top's own first setup (001's first revision), or undefined. */
function earlierSetupReason(difference: Difference, shapes: HandoffServerShapes): string | undefined {
	const {kind, objectType, name, actual} = difference;
	if (objectType === 'column' && kind === 'changed' && shapes.earlierSetup.columns[name]?.some(shape => sameShape(actual, shape))) {
		return 'as handoff-top set up the table before it created the base tables as the handoff server does (001, first revision); handoff-top does not depend on it';
	}

	return undefined;
}

/** The differences, with the handoff server's own shapes and objects, and the shapes of handoff-top's first setup, as info. */
export function classifyHandoffServer(differences: Difference[], shapes = loadHandoffServerShapes()): Difference[] {
	return differences.map(difference => {
		if (difference.severity === 'info') return difference;
		const server = serverReason(difference, shapes);
		const hint = server ? `handoff server: ${server}` : earlierSetupReason(difference, shapes);
		return hint ? {...difference, severity: 'info', hint} : difference;
	});
}
