// The sessions screen and its detail view.
//   sessionsPage(client, {sort, status?, limit, offset}) → {rows: SessionRow[], total, totalCapped?}
// total counts at most sessionCountCap (100 000) rows; totalCapped: true says there are more.
//   sessionDetail(client, sessionId, {timelineLimit?, logLimit?}) → SessionDetail | undefined
//   sessionPosition(client, {id, sort, status?}) → index in the list | undefined (the selection follows a session across pages)
// status: undefined (all), 'dormant', 'archived', or a sessions.status value.
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';
import {eventTypeSchema} from '../feed/eventFeed.js';

export const sessionSorts = ['last_activity', 'created', 'context', 'handoffs'] as const;
export type SessionSort = (typeof sessionSorts)[number];

const sessionRow = z
	.object({
		id: z.string(),
		session_key: z.string(),
		agent_from: z.string(),
		agent_to: z.string().nullable(),
		status: z.string(),
		created_at: z.date().nullable(),
		updated_at: z.date().nullable(),
		expires_at: z.date().nullable(),
		last_activity_at: z.date().nullable(),
		is_dormant: z.boolean(),
		archived_at: z.date().nullable(),
		retention_policy: z.string(),
		hours_since_activity: z.coerce.number().nullable(),
		context_count: z.coerce.number(),
		handoff_count: z.coerce.number(),
		last_lifecycle_event: eventTypeSchema.nullable(),
		last_lifecycle_event_at: z.date().nullable(),
	})
	.transform(row => ({
		id: row.id,
		sessionKey: row.session_key,
		agentFrom: row.agent_from,
		agentTo: row.agent_to,
		status: row.status,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		expiresAt: row.expires_at,
		lastActivityAt: row.last_activity_at,
		isDormant: row.is_dormant,
		archivedAt: row.archived_at,
		retentionPolicy: row.retention_policy,
		hoursSinceActivity: row.hours_since_activity,
		contextCount: row.context_count,
		handoffCount: row.handoff_count,
		lastLifecycleEvent: row.last_lifecycle_event,
		lastLifecycleEventAt: row.last_lifecycle_event_at,
	}));
export type SessionRow = z.output<typeof sessionRow>;

/** Count sorts: a status filter that matches at most this many sessions counts them one by one instead of walking session_activity_counts. */
export const countMatchesUpTo = 1000;

export const sessionsPageParams = z.strictObject({
	sort: z.enum(sessionSorts),
	status: z.string().min(1).max(50).optional(),
	limit: z.number().int().min(1).max(1000),
	offset: z.number().int().min(0),
	/** see countMatchesUpTo above */
	countMatchesUpTo: z.number().int().min(0).max(100_000).default(countMatchesUpTo),
});
export type SessionsPageParams = z.input<typeof sessionsPageParams>;

/** Counting stops here; totalCapped says there are more (show 'N+'). */
export const sessionCountCap = 100_000;

export async function sessionsPage(
	client: pg.ClientBase,
	params: SessionsPageParams,
): Promise<{rows: SessionRow[]; total: number; totalCapped?: boolean}> {
	const p = sessionsPageParams.parse(params);
	const status = p.status ?? null;
	const countSort = p.sort === 'context' || p.sort === 'handoffs';
	const page = await client.query(sqlText(`queries/sessions_by_${p.sort}`), [status, p.limit, p.offset, ...(countSort ? [p.countMatchesUpTo] : [])]);
	const count = await client.query(sqlText('queries/sessions_count'), [status, sessionCountCap + 1]);
	const total = z.coerce.number().parse(count.rows[0]?.total);
	return {
		rows: page.rows.map(row => sessionRow.parse(row)),
		total: Math.min(total, sessionCountCap),
		...(total > sessionCountCap ? {totalCapped: true} : {}),
	};
}

const detailRow = z
	.object({
		metadata: z.unknown(),
		snapshot_count: z.coerce.number(),
		pending_handoffs: z.coerce.number(),
		expires_due_at: z.date().nullable(),
		dormant_due_at: z.date().nullable(),
		archive_due_at: z.date().nullable(),
		purge_due_at: z.date().nullable(),
	})
	.loose();

const timelineRow = z
	.object({
		id: z.string(),
		seq: z.coerce.string(),
		xid: z.string(),
		event_type: eventTypeSchema,
		event_data: z.record(z.string(), z.unknown()).nullable(),
		created_at: z.date(),
	})
	.transform(row => ({
		id: row.id,
		seq: row.seq,
		xid: row.xid,
		eventType: row.event_type,
		eventData: row.event_data ?? {},
		createdAt: row.created_at,
	}));

const performanceLogRow = z
	.object({
		id: z.string(),
		operation: z.string(),
		duration_ms: z.number(),
		success: z.boolean(),
		metadata: z.unknown(),
		created_at: z.date(),
	})
	.transform(row => ({
		id: row.id,
		operation: row.operation,
		durationMs: row.duration_ms,
		success: row.success,
		metadata: row.metadata,
		createdAt: row.created_at,
	}));

export type SessionDetail = SessionRow & {
	metadata: unknown;
	snapshotCount: number;
	pendingHandoffs: number;
	/** When each lifecycle step falls due under the session's retention policy (null: never / not applicable). */
	schedule: {expiresAt: Date | null; dormantAt: Date | null; archiveAt: Date | null; purgeAt: Date | null};
	timeline: Array<z.output<typeof timelineRow>>;
	recentPerformance: Array<z.output<typeof performanceLogRow>>;
};

const uuid = z.uuid();

export async function sessionDetail(
	client: pg.ClientBase,
	sessionId: string,
	options: {timelineLimit?: number; logLimit?: number} = {},
): Promise<SessionDetail | undefined> {
	const id = uuid.parse(sessionId);
	const {rows} = await client.query(sqlText('queries/session_detail'), [id]);
	if (rows.length === 0) return undefined;
	const base = sessionRow.parse(rows[0]);
	const extra = detailRow.parse(rows[0]);
	const timeline = await client.query(sqlText('queries/session_timeline'), [id, options.timelineLimit ?? 200]);
	const logs = await client.query(sqlText('queries/session_performance_logs'), [id, options.logLimit ?? 20]);
	return {
		...base,
		metadata: extra.metadata,
		snapshotCount: extra.snapshot_count,
		pendingHandoffs: extra.pending_handoffs,
		schedule: {
			expiresAt: extra.expires_due_at,
			dormantAt: extra.dormant_due_at,
			archiveAt: extra.archive_due_at,
			purgeAt: extra.purge_due_at,
		},
		timeline: timeline.rows.map(row => timelineRow.parse(row)),
		recentPerformance: logs.rows.map(row => performanceLogRow.parse(row)),
	};
}

/** Where a session is in the Sessions list's order under a status filter (its index from 0), or undefined when it does not match (or is gone). */
export async function sessionPosition(client: pg.ClientBase, params: {id: string; sort: SessionSort; status?: string | undefined}): Promise<number | undefined> {
	const p = z.strictObject({id: z.uuid(), sort: z.enum(sessionSorts), status: z.string().min(1).max(50).optional()}).parse(params);
	const {rows} = await client.query(sqlText(`queries/session_position_${p.sort}`), [p.status ?? null, p.id]);
	return rows.length === 0 ? undefined : z.coerce.number().parse(rows[0]?.position);
}
