// A validation result as text for a person: grouped by severity, each
// difference with what was expected and what is there.
import type {PropertyValue} from './catalog.js';
import type {Difference, Severity} from './diff.js';
import type {ValidationResult} from './validate.js';

const headings: Record<Severity, string> = {
	error: 'errors (the schema differs from what this version expects)',
	warning: 'warnings (additions or history to look at)',
	info: 'info (other objects in the schema, not checked)',
};

function show(value: PropertyValue | undefined): string {
	if (value === null || value === undefined) return '(none)';
	return typeof value === 'string' ? value : String(value);
}

function describe(difference: Difference): string[] {
	const lines = [`  ${difference.kind} ${difference.objectType} ${difference.name}${difference.hint ? ` - ${difference.hint}` : ''}`];
	if (difference.kind === 'changed') {
		for (const name of Object.keys(difference.expected ?? {})) {
			lines.push(`      ${name}: expected ${show(difference.expected?.[name])}`, `      ${' '.repeat(name.length)}  actual   ${show(difference.actual?.[name])}`);
		}
	} else if (difference.kind === 'missing' && difference.expected?.['definition'] !== undefined) {
		lines.push(`      expected: ${show(difference.expected['definition'])}`);
	} else if (difference.kind === 'missing' && difference.objectType === 'column') {
		lines.push(`      expected: ${show(difference.expected?.['type'])}${difference.expected?.['nullable'] === false ? ' NOT NULL' : ''}`);
	} else if (difference.kind === 'extra' && difference.actual?.['definition'] !== undefined) {
		lines.push(`      actual: ${show(difference.actual['definition'])}`);
	}

	return lines;
}

export function formatReport(result: ValidationResult): string {
	const lines = [
		`validate ${result.database} (schema ${result.schema}, PostgreSQL ${result.serverVersion}): checked ${result.checked.objects} objects and ${result.checked.migrations} migrations`,
	];
	const bySeverity = (severity: Severity) => result.differences.filter(d => d.severity === severity);
	const errors = bySeverity('error').length;
	const warnings = bySeverity('warning').length;
	if (result.ok) {
		lines.push(result.differences.length === 0 ? 'ok: the schema matches' : 'ok: the schema matches (see info below)');
	} else {
		lines.push(`drift: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
	}

	for (const severity of ['error', 'warning', 'info'] as const) {
		const group = bySeverity(severity);
		if (group.length === 0) continue;
		lines.push('', headings[severity]);
		for (const difference of group) lines.push(...describe(difference));
	}

	return `${lines.join('\n')}\n`;
}
