// Text for cells. Times are relative and rounded, numbers are rounded: the set
// of distinct strings the UI renders stays small (Ink 6 keeps the measurement
// of every distinct string it has rendered).
import {inert} from '../text/inert.js';

/** The one human duration everywhere: '12s', '3m', '2h 5m', '3d 4h' (two units at most, rounded down). */
export function age(ms: number): string {
	const seconds = Math.max(0, Math.floor(ms / 1000));
	if (seconds < 60) return `${seconds}s`;
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return `${minutes}m`;
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
	const days = Math.floor(hours / 24);
	return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

/** How long ago a past moment was; a clock a little ahead of ours still reads '0s ago', never 'in 0s'. */
export function ago(date: Date | null | undefined, now: number): string {
	if (!date) return '-';
	return `${age(now - date.getTime())} ago`;
}

/** When a lifecycle step falls due: 'in 3m', or 'at next sweep' once due (the sweep performs it). */
export function until(date: Date | null | undefined, now: number): string {
	if (!date) return '-';
	const ms = date.getTime() - now;
	return ms < 1000 ? overdue : `in ${age(ms)}`; // never 'in 0s'
}

/** The one wording of a step that is due. */
export const overdue = 'at next sweep';

/** Hours (idle time) in the same human duration: '12s', '3m', '2h 5m'. */
export function hours(value: number | null | undefined): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return '-';
	return age(value * 3_600_000);
}

/** '1 session', '2 sessions'. */
export function plural(n: number, one: string, many = `${one}s`): string {
	return `${count(n)} ${n === 1 ? one : many}`;
}

export function clock(date: Date): string {
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function dateTime(date: Date | null | undefined): string {
	if (!date) return '-';
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clock(date)}`;
}

/** 1234 → '1234', 12345 → '12.3k', 1234567 → '1.2M'. */
export function count(value: number | null | undefined): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return '-';
	const abs = Math.abs(value);
	if (abs < 10_000) return String(Math.round(value));
	if (abs < 1_000_000) return `${(value / 1000).toFixed(abs < 100_000 ? 1 : 0)}k`;
	return `${(value / 1_000_000).toFixed(1)}M`;
}

/** Milliseconds with a precision that fits a column. */
export function ms(value: number | null | undefined): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return '-';
	if (value < 10) return `${value.toFixed(1)}ms`;
	if (value < 10_000) return `${Math.round(value)}ms`;
	return `${(value / 1000).toFixed(1)}s`;
}

export function percent(value: number | null | undefined): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return '-';
	return `${value.toFixed(1)}%`;
}

/** A metric value: integers as they are, others with three significant digits. */
export function metric(value: number): string {
	if (!Number.isFinite(value)) return '-';
	if (Number.isInteger(value)) return count(value);
	return Math.abs(value) >= 1000 ? count(value) : String(Number(value.toPrecision(3)));
}

/** Made inert, cut to width with an ellipsis, then padded: every cell of a column is as wide, and a cut never splits a sequence. */
export function cell(value: string, width: number, align: 'left' | 'right' = 'left'): string {
	if (width <= 0) return '';
	const text = inert(value);
	const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
	return align === 'left' ? cut.padEnd(width) : cut.padStart(width);
}

/** A JSON value on one short line: objects as key=value pairs. */
export function compact(value: unknown): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'string') return value;
	if (typeof value !== 'object') return String(value);
	if (Array.isArray(value)) return value.map(item => compact(item)).join(',');
	return Object.entries(value as Record<string, unknown>)
		.filter(([, v]) => v !== null && v !== undefined && v !== '')
		.map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
		.join(' ');
}
