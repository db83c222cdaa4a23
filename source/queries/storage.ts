// The Storage panel (snapshot) and screen (7): per table and its indexes the
// size, the planner's row estimate, the growth per day measured from the rows'
// own timestamps, what the next sweep removes (log retention, migration 013),
// and the days until the database reaches --storage-limit or fills the
// server's disk where its free space can be read. Over 80 % of a limit, or
// under 7 days left, an alarm with a suggestion. Works as the least-privilege
// monitor role: what it cannot read is said, not fatal.
//   storagePanel(client, {limitBytes?, freeDisk?, nextSweepCap?}) → StoragePanel
// (nextSweepCap 0: the next sweep's rows are not counted, only the periods read)
import {readFileSync, statfsSync} from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import {z} from 'zod';
import {planRetention, type RetentionPlanRow} from '../db/retention.js';
import {sqlText} from '../db/sqlText.js';

const dayMs = 86_400_000;
/** Alarm thresholds: share of a limit used, days left. */
export const alarmPercent = 80;
export const alarmDays = 7;
/** The next sweep's rows are counted up to this many per table (then shown as '>100,000'). */
export const nextSweepCap = 100_000;

const tableRow = z.object({
	table_name: z.string(),
	table_bytes: z.coerce.number(),
	index_bytes: z.coerce.number(),
	total_bytes: z.coerce.number(),
	row_estimate: z.coerce.number().nullable(),
	time_column: z.string().nullable(),
	oldest: z.date().nullable(),
	newest: z.date().nullable(),
	readable: z.boolean().nullable(),
	indexed: z.boolean().nullable(),
});

const databaseRow = z.object({
	database_bytes: z.coerce.number(),
	data_directory: z.string().nullable(),
	server_addr: z.string().nullable(),
	server_port: z.number().nullable(),
	now: z.date(),
});

export type StorageTable = {
	table: string;
	tableBytes: number;
	indexBytes: number;
	totalBytes: number;
	rowEstimate: number | null;
	/** The time column growth is measured by, and the oldest row by it. */
	timeColumn: string | null;
	oldest: Date | null;
	/** Bytes (table and indexes) and rows added per day on average since the oldest row; null when not measured (growthNote says why). */
	inflowBytesPerDay: number | null;
	inflowRowsPerDay: number | null;
	/** Net growth now: 0 once the table holds its whole retention period (the sweep removes what arrives). */
	growthBytesPerDay: number | null;
	growthNote: string | null;
	/** The log retention periods of this table ('30d'; the rollups' tiers '35d/90d/400d', finest first; 'ever'), or null when none applies. */
	keptFor: string | null;
	/** Days until the table holds its whole period and stops growing; null: it grows for ever (no period). */
	daysToSteady: number | null;
	/** What the next sweep removes here (rows, and bytes estimated from the average row); null when it cannot be read. */
	nextSweepRows: number | null;
	nextSweepBytes: number | null;
	nextSweepCapped: boolean;
};

export type StorageCeiling = {
	kind: 'limit' | 'disk';
	/** The most the database may take: the limit, or its size plus the disk's free space. */
	capacityBytes: number;
	usedPercent: number;
	/** Days until the database reaches it at the measured growth; null: never at that rate. */
	daysLeft: number | null;
	freeBytes?: number;
	diskBytes?: number;
};

export type StorageAlarm = {ceiling: StorageCeiling['kind']; message: string; suggestion: string};

export type StoragePanel = {
	measuredAt: Date;
	databaseBytes: number;
	tables: StorageTable[];
	/** Net growth of the database per day now (the sum over the tables where it was measured). */
	growthBytesPerDay: number;
	ceilings: StorageCeiling[];
	alarms: StorageAlarm[];
	/** What could not be read or measured, one line each. */
	notes: string[];
};

const unitBytes: Record<string, number> = {b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3, tb: 1024 ** 4, tib: 1024 ** 4};

/** '100GB', '512 MB', '1.5TB' (1024-based, as PostgreSQL's sizes are) → bytes; undefined when not a size. */
export function parseSize(text: string): number | undefined {
	const match = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)$/i.exec(text.trim());
	if (!match) return undefined;
	const bytes = Number(match[1]) * unitBytes[match[2]!.toLowerCase()]!;
	return bytes >= 1 ? Math.round(bytes) : undefined;
}

/** Bytes in pg_size_pretty's 1024-based units, to a tenth below 100: '74.4 MB', '300 GB'. */
export function size(bytes: number): string {
	const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
	let value = bytes;
	let unit = 0;
	while (Math.abs(value) >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}

	return unit === 0 ? `${Math.round(value)} bytes` : `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`;
}

/** An interval as PostgreSQL prints it ('30 days', '1 year 1 mon', '25:00:00', '1000 years') → days. */
export function intervalDays(text: string): number {
	let days = 0;
	for (const [, amount, unit] of text.matchAll(/(-?\d+(?:\.\d+)?)\s*(years?|mons?|days?)/g)) {
		days += Number(amount) * (unit!.startsWith('year') ? 365.25 : unit!.startsWith('mon') ? 30 : 1);
	}

	const time = /(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(text);
	if (time) days += (time[1] ? -1 : 1) * (Number(time[2]) * 3600 + Number(time[3]) * 60 + Number(time[4])) / 86_400;
	return days;
}

/** '30 days' → '30d', '25:00:00' → '1.0d', NULL → 'ever'. */
function shortPeriod(keepFor: string | null): string {
	if (keepFor === null) return 'ever';
	const days = intervalDays(keepFor);
	return `${Number.isInteger(days) ? days : days.toFixed(1)}d`;
}

// A rollup row per operation and minute, per 10 minutes, per hour: the tiers' shares of the rows.
const tierWeight: Record<string, number> = {performance_rollup_1m: 60, performance_rollup_10m: 6, performance_rollup_1h: 1};

/** How many days of rows a table holds once its periods apply (the rollups: their tiers, by their share of rows);
 * null when a period keeps its rows for ever or none applies. */
function steadyDays(periods: RetentionPlanRow[]): number | null {
	if (periods.length === 0 || periods.some(p => p.keepFor === null)) return null;
	const weighted = periods.map(p => ({weight: tierWeight[p.name] ?? 1, days: intervalDays(p.keepFor!)}));
	const total = weighted.reduce((sum, w) => sum + w.weight, 0);
	return weighted.reduce((sum, w) => sum + w.weight * w.days, 0) / total;
}

/** The free space of the server's data directory, when this process can see it: the server is on this
 * machine (a Unix socket or loopback connection) and its postmaster.pid there names the same port. */
export function readFreeDisk(database: {data_directory: string | null; server_addr: string | null; server_port: number | null}):
	| {freeBytes: number; diskBytes: number}
	| {note: string} {
	if (!database.data_directory) {
		return {note: 'free disk: cannot be read (the data directory is shown only to superusers and pg_read_all_settings); give --storage-limit'};
	}

	const local = database.server_addr === null || /^(127\.|::1$)/.test(database.server_addr.replace(/\/\d+$/, ''));
	if (!local) return {note: 'free disk: cannot be read (the server is on another machine); give --storage-limit'};
	try {
		const pid = readFileSync(path.join(database.data_directory, 'postmaster.pid'), 'utf8').split('\n');
		if (database.server_port !== null && Number(pid[3]) !== database.server_port) {
			return {note: `free disk: cannot be read (${database.data_directory} here belongs to another server); give --storage-limit`};
		}

		const stats = statfsSync(database.data_directory);
		return {freeBytes: stats.bavail * stats.bsize, diskBytes: stats.blocks * stats.bsize};
	} catch {
		return {note: `free disk: cannot be read (${database.data_directory} is not readable from here); give --storage-limit`};
	}
}

/** Days until the tables' growth adds up to `headroom` bytes (each grows until it holds its period); null: never. */
function daysUntil(headroom: number, tables: StorageTable[]): number | null {
	if (headroom <= 0) return 0;
	const growing = tables.filter(t => (t.growthBytesPerDay ?? 0) > 0);
	const added = (days: number) => growing.reduce((sum, t) => sum + t.growthBytesPerDay! * Math.min(days, t.daysToSteady ?? Infinity), 0);
	const horizon = 100 * 365;
	if (added(horizon) < headroom) return null;
	let low = 0;
	let high = horizon;
	while (high - low > 0.01) {
		const middle = (low + high) / 2;
		if (added(middle) >= headroom) high = middle;
		else low = middle;
	}

	return high;
}

const sessionTables = new Set(['sessions', 'context_history', 'handoff_requests', 'codebase_snapshots', 'session_lifecycle']);

/** What to do about a ceiling: the table that adds the most before it is reached, and the setting that bounds it. */
function suggestion(tables: StorageTable[], days: number | null, plan: RetentionPlanRow[]): string {
	const horizon = Math.min(days ?? alarmDays, 365);
	const [top] = [...tables].sort((a, b) => {
		const adds = (t: StorageTable) => (t.growthBytesPerDay ?? 0) * Math.min(horizon, t.daysToSteady ?? Infinity);
		return adds(b) - adds(a) || b.totalBytes - a.totalBytes;
	});
	if (!top) return 'add disk space or raise the limit';
	const due = top.nextSweepRows ?? 0;
	const sweepFirst = due > 0 ? `run handoff-top sweep (it removes ${due.toLocaleString('en-US')} rows of ${top.table}, about ${size(top.nextSweepBytes ?? 0)}); then ` : '';
	const periods = plan.filter(p => p.table === top.table);
	if (periods.length > 0) {
		// the period that keeps the most of its rows: the longest, weighted by its tier's share of the rows
		const held = (p: RetentionPlanRow) => (tierWeight[p.name] ?? 1) * (p.keepFor === null ? Infinity : intervalDays(p.keepFor));
		const [longest] = [...periods].sort((a, b) => held(b) - held(a));
		const now = longest!.keepFor ?? 'for ever';
		const shorter = longest!.keepFor === null ? '30 days' : `${Math.max(2, Math.floor(intervalDays(longest!.keepFor) / 2))} days`;
		return `${sweepFirst}${top.table} grows most (${size(top.growthBytesPerDay ?? 0)}/day): shorten its retention (now ${now}): UPDATE log_retention SET keep_for = interval '${shorter}' WHERE name = '${longest!.name}'`;
	}

	if (sessionTables.has(top.table)) {
		return `${sweepFirst}${top.table} grows most (${size(top.growthBytesPerDay ?? 0)}/day): shorten the session policies' purge_after (UPDATE retention_policies SET purge_after = … WHERE name = …) and schedule handoff-top sweep`;
	}

	return `${sweepFirst}${top.table} is the largest (${size(top.totalBytes)}): add disk space or raise the limit`;
}

export async function storagePanel(
	client: pg.ClientBase,
	options: {limitBytes?: number | undefined; freeDisk?: typeof readFreeDisk; nextSweepCap?: number} = {},
): Promise<StoragePanel> {
	const database = databaseRow.parse((await client.query(sqlText('queries/storage_database'))).rows[0]);
	const rows = (await client.query(sqlText('queries/storage_tables'))).rows.map(row => tableRow.parse(row));
	const notes: string[] = [];
	let plan: RetentionPlanRow[] = [];
	try {
		plan = await planRetention(client, {afterRefresh: true, cap: options.nextSweepCap ?? nextSweepCap});
	} catch (error) {
		if ((error as {code?: string}).code !== '42501') throw error;
		notes.push('next sweep: cannot read log_retention (run handoff-top setup --create-monitor-role again to grant it)');
	}

	const now = database.now.getTime();
	const tables = rows.map((row): StorageTable => {
		const periods = plan.filter(p => p.table === row.table_name);
		const ageDays = row.oldest ? (now - row.oldest.getTime()) / dayMs : null;
		let note: string | null = null;
		if (row.time_column === null) note = 'no time column';
		else if (row.readable === false) note = `cannot read ${row.time_column}`;
		else if (row.oldest === null && row.indexed === false && (row.row_estimate ?? 0) > 0) note = `no B-tree index on ${row.time_column}`;
		else if (row.oldest === null) note = 'no rows';
		else if (ageDays !== null && ageDays < 1 / 24) note = 'under an hour of rows';
		const measured = note === null && ageDays !== null;
		const inflowBytesPerDay = measured ? row.total_bytes / ageDays : null;
		const inflowRowsPerDay = measured && row.row_estimate !== null ? row.row_estimate / ageDays : null;
		const steady = steadyDays(periods);
		const daysToSteady = steady === null ? null : Math.max(0, steady - (ageDays ?? 0));
		const due = periods.every(p => p.rowsDue !== null) ? periods.reduce((sum, p) => sum + (p.rowsDue ?? 0), 0) : null;
		const perRow = row.row_estimate ? row.total_bytes / row.row_estimate : 0;
		return {
			table: row.table_name,
			tableBytes: row.table_bytes,
			indexBytes: row.index_bytes,
			totalBytes: row.total_bytes,
			rowEstimate: row.row_estimate,
			timeColumn: row.time_column,
			oldest: row.oldest,
			inflowBytesPerDay,
			inflowRowsPerDay,
			growthBytesPerDay: inflowBytesPerDay === null ? null : daysToSteady === 0 ? 0 : inflowBytesPerDay,
			growthNote: note,
			keptFor: periods.length === 0 ? null : [...new Set(periods.map(p => shortPeriod(p.keepFor)))].join('/'),
			daysToSteady,
			nextSweepRows: periods.length === 0 ? 0 : due,
			nextSweepBytes: periods.length === 0 ? 0 : due === null ? null : Math.round(due * perRow),
			nextSweepCapped: periods.some(p => p.capped),
		};
	});
	// one line per reason: 'growth not measured (under an hour of rows): sessions, context_history'
	const unmeasured = new Map<string, string[]>();
	for (const t of tables) {
		if (t.growthNote && !['no rows', 'no time column'].includes(t.growthNote)) unmeasured.set(t.growthNote, [...(unmeasured.get(t.growthNote) ?? []), t.table]);
	}

	for (const [why, names] of unmeasured) notes.push(`growth not measured (${why}): ${names.join(', ')}`);
	const unread = tables.filter(t => t.nextSweepRows === null).map(t => t.table);
	if (unread.length > 0) notes.push(`next sweep: cannot read ${unread.join(', ')}`);

	const ceilings: StorageCeiling[] = [];
	if (options.limitBytes !== undefined) {
		ceilings.push({
			kind: 'limit',
			capacityBytes: options.limitBytes,
			usedPercent: (100 * database.database_bytes) / options.limitBytes,
			daysLeft: daysUntil(options.limitBytes - database.database_bytes, tables),
		});
	}

	const disk = (options.freeDisk ?? readFreeDisk)(database);
	if ('note' in disk) notes.push(disk.note);
	else {
		ceilings.push({
			kind: 'disk',
			capacityBytes: database.database_bytes + disk.freeBytes,
			usedPercent: disk.diskBytes > 0 ? (100 * (disk.diskBytes - disk.freeBytes)) / disk.diskBytes : 100,
			daysLeft: daysUntil(disk.freeBytes, tables),
			freeBytes: disk.freeBytes,
			diskBytes: disk.diskBytes,
		});
	}

	const alarms = ceilings.flatMap((ceiling): StorageAlarm[] => {
		const what = ceiling.kind === 'limit' ? `the storage limit (${size(ceiling.capacityBytes)})` : `the server's disk (${size(ceiling.diskBytes ?? 0)})`;
		const reasons = [
			...(ceiling.usedPercent >= alarmPercent ? [`${ceiling.usedPercent.toFixed(1)} % of ${what} used`] : []),
			...(ceiling.daysLeft !== null && ceiling.daysLeft < alarmDays ? [`${what} reached in ${ceiling.daysLeft.toFixed(1)} days`] : []),
		];
		return reasons.length === 0 ? [] : [{ceiling: ceiling.kind, message: reasons.join('; '), suggestion: suggestion(tables, ceiling.daysLeft, plan)}];
	});
	return {
		measuredAt: database.now,
		databaseBytes: database.database_bytes,
		tables,
		growthBytesPerDay: tables.reduce((sum, t) => sum + (t.growthBytesPerDay ?? 0), 0),
		ceilings,
		alarms,
		notes,
	};
}

const count = (value: number, digits = 0) => value.toLocaleString('en-US', {maximumFractionDigits: digits, minimumFractionDigits: digits});

/** One table of the panel as text cells, the same in snapshot and on the Storage screen. Growth: 'steady' once the
 * sweep removes what arrives, '-' where nothing grows, '?' where not measured (a note says why). */
export function storageCells(t: StorageTable): {size: string; indexes: string; rows: string; growth: string; sweep: string; kept: string} {
	const growth =
		t.growthBytesPerDay === null
			? t.growthNote === 'no rows' || t.growthNote === 'no time column'
				? '-'
				: '?'
			: t.growthBytesPerDay === 0
				? 'steady'
				: `${size(t.growthBytesPerDay)}/d`;
	return {
		size: size(t.tableBytes),
		indexes: size(t.indexBytes),
		rows: t.rowEstimate === null ? '?' : count(t.rowEstimate),
		growth,
		sweep: t.nextSweepRows === null ? 'no read' : t.nextSweepRows === 0 ? '-' : `${t.nextSweepCapped ? '>' : ''}${count(t.nextSweepRows)}`,
		kept: t.keptFor ?? '-',
	};
}

/** 'database 91.6 MB, growing 593 kB/day'. */
export function databaseLine(storage: StoragePanel): string {
	return `database ${size(storage.databaseBytes)}, growing ${size(storage.growthBytesPerDay)}/day`;
}

/** 'limit 100 GB: 0.1 % used, reached in 40.5 days' / 'disk 252 GB, 77 GB free: 69.4 % used, not reached at this rate'. */
export function ceilingLine(ceiling: StorageCeiling): string {
	const what = ceiling.kind === 'limit' ? `limit ${size(ceiling.capacityBytes)}` : `disk ${size(ceiling.diskBytes ?? 0)}, ${size(ceiling.freeBytes ?? 0)} free`;
	const left = ceiling.daysLeft === null ? 'not reached at this rate' : `reached in ${count(ceiling.daysLeft, 1)} days`;
	return `${what}: ${count(ceiling.usedPercent, 1)} % used, ${left}`;
}
