// Strings from the database, made inert for a terminal. Whoever can write a
// session (any agent of the handoff server) chooses its key, agents, status
// and event_data; printed raw, an ESC or a C1 control starts a sequence that
// retitles the window (OSC 0), clears the screen (CSI 2J) or eats a row. Every
// text output (the monitor, tail, snapshot, validate, sweep, error lines)
// passes such strings through inert() BEFORE it measures or cuts them, so a
// truncation never splits a sequence; --json is left exact (JSON.stringify
// already escapes controls).
//
// The convention, one visible column per replaced character:
//   C0 controls U+0000–U+001F  → their control pictures ␀ … ␟ (ESC ␛, BEL ␇, TAB ␉, LF ␊, CR ␍)
//   DEL U+007F                 → ␡
//   C1 controls U+0080–U+009F, format characters (Unicode Cf: the bidi embeddings,
//   overrides and isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E, U+200F
//   and U+061C, zero-width space U+200B, word joiner U+2060, BOM U+FEFF, soft hyphen,
//   tag characters…), the line and paragraph separators U+2028/U+2029 and lone
//   surrogates                 → � (U+FFFD)
// Kept: zero-width non-joiner and joiner (U+200C, U+200D), which Persian, the
// Indic scripts and emoji need and which neither move nor hide text.
//
// So `evil-\x1b]0;pwned\x07` shows as `evil-␛]0;pwned␇`: the bytes that would have
// been a sequence are plain, readable text. Pure, no dependencies; fast for plain
// ASCII (one anchored test).

const plainAscii = /^[\u0020-\u007E]*$/;
// C0, DEL, C1, the separators, lone surrogates; and every Cf character but U+200C and U+200D.
// eslint-disable-next-line no-control-regex -- matching controls is the point
const unsafeAll = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\p{Cs}]|(?![\u200C\u200D])\p{Cf}/gu;
// eslint-disable-next-line no-control-regex
const unsafeOne = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\p{Cs}]|(?![\u200C\u200D])\p{Cf}/u;

const controlPictureBase = 0x2400;
export const replacementCharacter = '\uFFFD';

function picture(character: string): string {
	const code = character.codePointAt(0)!;
	if (code < 0x20) return String.fromCharCode(controlPictureBase + code);
	if (code === 0x7f) return '\u2421';
	return replacementCharacter;
}

/** One line of text that cannot act on a terminal: every control, format and separator character visible (see above). */
export function inert(text: string): string {
	if (plainAscii.test(text) || !unsafeOne.test(text)) return text;
	return text.replace(unsafeAll, picture);
}

/** inert() line by line: line feeds stay line breaks, everything else is as inert() makes it. */
export function inertLines(text: string): string {
	if (plainAscii.test(text) || !unsafeOne.test(text)) return text;
	return text.split('\n').map(inert).join('\n');
}
