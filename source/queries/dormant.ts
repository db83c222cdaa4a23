// The dormant screen.
//   dormantSessions(client, {limit, horizonHours?}) → DormantRow[]
// Dormant sessions first, then live ones whose next lifecycle step (dormant,
// expire, archive) falls due within horizonHours (default 6), soonest first.
// nextStep/nextDueAt come from session_lifecycle_schedule (the sweep's own
// schedule); overdue means the next sweep will apply it.
import type pg from 'pg';
import {z} from 'zod';
import {sqlText} from '../db/sqlText.js';

const dormantRow = z
	.object({
		id: z.string(),
		session_key: z.string(),
		agent_from: z.string(),
		agent_to: z.string().nullable(),
		status: z.string(),
		is_dormant: z.boolean(),
		retention_policy: z.string(),
		last_activity_at: z.date().nullable(),
		hours_since_activity: z.coerce.number().nullable(),
		next_step: z.enum(['expire', 'dormant', 'archive']).nullable(),
		next_due_at: z.date().nullable(),
		overdue: z.boolean().nullable(),
	})
	.transform(row => ({
		id: row.id,
		sessionKey: row.session_key,
		agentFrom: row.agent_from,
		agentTo: row.agent_to,
		status: row.status,
		isDormant: row.is_dormant,
		retentionPolicy: row.retention_policy,
		lastActivityAt: row.last_activity_at,
		hoursSinceActivity: row.hours_since_activity,
		nextStep: row.next_step,
		nextDueAt: row.next_due_at,
		overdue: row.overdue ?? false,
	}));
export type DormantRow = z.output<typeof dormantRow>;

const params = z.strictObject({
	limit: z.number().int().min(1).max(1000),
	horizonHours: z.number().min(0).max(24 * 365).optional(),
});

export async function dormantSessions(
	client: pg.ClientBase,
	options: z.input<typeof params>,
): Promise<DormantRow[]> {
	const p = params.parse(options);
	const {rows} = await client.query(sqlText('queries/dormant_sessions'), [p.horizonHours ?? 6, p.limit]);
	return rows.map(row => dormantRow.parse(row));
}
