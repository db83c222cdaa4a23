// Splits a migration file into its statements, aware of comments, quoted
// strings and identifiers, and dollar-quoted bodies, so an error can be
// pinned to the statement and line it came from.
export type Statement = {
	text: string;
	/** 1-based line of the statement's first non-blank character. */
	line: number;
	/** Offsets into the file: [start, end). */
	start: number;
	end: number;
};

export function splitStatements(sql: string): Statement[] {
	const statements: Statement[] = [];
	let start = 0;
	let i = 0;
	const push = (end: number) => {
		const raw = sql.slice(start, end);
		const code = raw.replaceAll(/--[^\n]*/g, '').trim();
		if (code !== '') {
			const offset = start + raw.search(/\S/);
			const lead = sql.slice(offset, end);
			// Skip leading comment lines to find where the statement itself begins.
			const skip = /^(?:\s*--[^\n]*\n)*\s*/.exec(lead)?.[0].length ?? 0;
			const first = offset + skip;
			statements.push({text: sql.slice(first, end).trim(), line: sql.slice(0, first).split('\n').length, start: first, end});
		}

		start = end;
	};

	while (i < sql.length) {
		const char = sql[i]!;
		const next = sql[i + 1];
		if (char === '-' && next === '-') {
			const end = sql.indexOf('\n', i);
			i = end === -1 ? sql.length : end + 1;
		} else if (char === '/' && next === '*') {
			const end = sql.indexOf('*/', i + 2);
			i = end === -1 ? sql.length : end + 2;
		} else if (char === "'" || char === '"') {
			const escapes = char === "'" && (sql[i - 1] === 'E' || sql[i - 1] === 'e');
			let j = i + 1;
			while (j < sql.length) {
				if (escapes && sql[j] === '\\') j += 2;
				else if (sql[j] === char && sql[j + 1] === char) j += 2;
				else if (sql[j] === char) break;
				else j++;
			}

			i = j + 1;
		} else if (char === '$') {
			const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
			if (tag && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
				const end = sql.indexOf(tag[0], i + tag[0].length);
				i = end === -1 ? sql.length : end + tag[0].length;
			} else {
				i++;
			}
		} else if (char === ';') {
			i++;
			push(i);
		} else {
			i++;
		}
	}

	push(sql.length);
	return statements;
}

/** The statement that holds 1-based character `position` of the file. */
export function statementAt(sql: string, position: number): Statement | undefined {
	return splitStatements(sql).find(statement => position - 1 >= statement.start && position - 1 < statement.end);
}
