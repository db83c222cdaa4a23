// The handoff server's clients, as a model with no database in it: agents
// register sessions, append context, read it back, hand sessions to each
// other, pause and end them, and wander off (so sessions fall quiet and the
// sweep makes them dormant, expired and archived). It decides what happens
// next; the runner (simulator.ts) carries it out and reports back.
import type {Operation} from './latency.js';
import type {Random} from './random.js';

export const agents = [
	'claude-code',
	'cursor-agent',
	'devin',
	'copilot-workspace',
	'aider',
	'codex-cli',
	'gemini-cli',
	'review-bot',
] as const;

export type ContextType = 'message' | 'file' | 'tool_call' | 'system';

/** Share of context entries by type, their typical size and processing time. */
export const contextMix: Record<ContextType, {weight: number; medianBytes: number; sigma: number; maxBytes: number; medianMs: number}> = {
	message: {weight: 55, medianBytes: 420, sigma: 0.9, maxBytes: 16_384, medianMs: 4},
	tool_call: {weight: 25, medianBytes: 1100, sigma: 0.8, maxBytes: 32_768, medianMs: 9},
	file: {weight: 12, medianBytes: 5200, sigma: 1, maxBytes: 65_536, medianMs: 22},
	system: {weight: 8, medianBytes: 160, sigma: 0.5, maxBytes: 2048, medianMs: 2},
};

export type PolicyName = 'demo' | 'standard' | 'extended' | 'permanent';

/** The simulator's own short-lived policy, so lifecycle changes show within minutes. */
export type DemoPolicy = {sessionTtlMs: number; dormantAfterMs: number; archiveAfterMs: number; purgeAfterMs: number};

export const defaultDemoPolicy: DemoPolicy = {
	sessionTtlMs: 2 * 60_000,
	dormantAfterMs: 30_000,
	archiveAfterMs: 15_000,
	purgeAfterMs: 3 * 60_000,
};

export type SessionStatus = 'active' | 'paused' | 'completed' | 'cancelled' | 'expired';

export type SimSession = {
	id: string;
	key: string;
	agentFrom: string;
	agentTo: string | null;
	policy: PolicyName;
	status: SessionStatus;
	dormant: boolean;
	createdAt: number;
	lastActivityAt: number;
	/** After this the agents stop talking: the session is ended, or just goes quiet. */
	quietAt: number;
	endsExplicitly: boolean;
	nextSequence: number;
	handoffs: Array<{id: string; status: 'pending' | 'accepted'; target: string}>;
	/** An operation on it is in flight. */
	busy: boolean;
};

export type Action =
	| {kind: 'register_session'; key: string; agentFrom: string; agentTo: string | null; policy: PolicyName; expiresInMs: number | null; metadata: Record<string, unknown>}
	| {kind: 'update_context'; session: SimSession; contextType: ContextType; sizeBytes: number; processingMs: number; wake: boolean}
	| {kind: 'get_context'; session: SimSession; limit: number}
	| {kind: 'request_handoff'; session: SimSession; target: string; requestType: string}
	| {kind: 'accept_handoff' | 'reject_handoff' | 'complete_handoff'; session: SimSession; handoffId: string}
	| {kind: 'update_session_status'; session: SimSession; from: SessionStatus; to: SessionStatus}
	| {kind: 'end_session'; session: SimSession; from: SessionStatus; to: 'completed' | 'cancelled'};

export type WorkloadOptions = {
	policy: DemoPolicy;
	/** Sessions being worked on at once, roughly. */
	liveSessions: number;
	/** Share of new sessions per retention policy. */
	policyMix: Record<PolicyName, number>;
};

export const defaultWorkload: WorkloadOptions = {
	policy: defaultDemoPolicy,
	liveSessions: 30,
	policyMix: {demo: 80, standard: 10, extended: 5, permanent: 5},
};

const isOpen = (s: SimSession) => s.status === 'active' || s.status === 'paused';

export class Workload {
	readonly sessions = new Map<string, SimSession>();
	private registered = 0;
	private readonly runId: string;

	constructor(
		private readonly random: Random,
		readonly options: WorkloadOptions = defaultWorkload,
	) {
		this.runId = Math.floor(random.next() * 36 ** 6).toString(36).padStart(6, '0');
	}

	private talking(now: number): SimSession[] {
		const result: SimSession[] = [];
		for (const s of this.sessions.values()) if (!s.busy && isOpen(s) && now < s.quietAt) result.push(s);
		return result;
	}

	/** Sessions the sweep made dormant: a client coming back to one reactivates it. */
	private dormant(): SimSession[] {
		const result: SimSession[] = [];
		for (const s of this.sessions.values()) if (!s.busy && s.status === 'active' && s.dormant) result.push(s);
		return result;
	}

	private finishing(now: number): SimSession[] {
		const result: SimSession[] = [];
		for (const s of this.sessions.values()) if (!s.busy && s.endsExplicitly && isOpen(s) && now >= s.quietAt) result.push(s);
		return result;
	}

	openCount(): number {
		let count = 0;
		for (const s of this.sessions.values()) if (isOpen(s)) count++;
		return count;
	}

	/** What the clients do next. Never returns an action on a busy session. */
	next(now: number): Action {
		const talking = this.talking(now);
		const deficit = this.options.liveSessions - talking.length;
		if (talking.length === 0 || (deficit > 0 && this.random.chance(Math.min(0.8, deficit / this.options.liveSessions + 0.05)))) {
			return this.register(now);
		}

		// Sessions whose work is done and whose agent closes them properly.
		const finishing = this.finishing(now);
		if (finishing.length > 0 && this.random.chance(0.5)) {
			const done = this.random.pick(finishing);
			return {kind: 'end_session', session: done, from: done.status, to: this.random.chance(0.85) ? 'completed' : 'cancelled'};
		}

		const session = this.random.pick(talking);
		const pending = session.handoffs.find(h => h.status === 'pending');
		const accepted = session.handoffs.find(h => h.status === 'accepted');
		const dormant = this.dormant();
		const kind = this.random.weighted({
			register_session: 4,
			update_context: session.status === 'active' ? 46 : 0,
			get_context: 18,
			request_handoff: session.status === 'active' && session.handoffs.length < 2 ? 6 : 0,
			resolve_pending: pending ? 8 : 0,
			complete_handoff: accepted ? 6 : 0,
			update_session_status: 2,
			end_session: 0.5,
			wake: dormant.length > 0 ? 0.6 : 0,
		});
		switch (kind) {
			case 'register_session':
				return this.register(now);
			case 'update_context':
				return this.context(session, false);
			case 'wake':
				return this.context(this.random.pick(dormant), true);
			case 'get_context':
				return {kind: 'get_context', session, limit: this.random.pick([10, 20, 50])};
			case 'request_handoff':
				return {
					kind: 'request_handoff',
					session,
					target: this.random.pick(agents.filter(a => a !== session.agentFrom)),
					requestType: this.random.weighted({context_transfer: 70, review: 15, escalation: 10, takeover: 5}),
				};
			case 'resolve_pending':
				return {kind: this.random.chance(0.8) ? 'accept_handoff' : 'reject_handoff', session, handoffId: pending!.id};
			case 'complete_handoff':
				return {kind: 'complete_handoff', session, handoffId: accepted!.id};
			case 'update_session_status': {
				const to: SessionStatus = session.status === 'active' ? 'paused' : 'active';
				return {kind: 'update_session_status', session, from: session.status, to};
			}
			case 'end_session':
				return {kind: 'end_session', session, from: session.status, to: this.random.chance(0.85) ? 'completed' : 'cancelled'};
		}
	}

	private register(now: number): Action {
		this.registered++;
		const policy = this.random.weighted(this.options.policyMix);
		const agentFrom = this.random.pick(agents);
		const explicitExpiry = policy === 'demo' && this.random.chance(0.15);
		return {
			kind: 'register_session',
			key: `sim-${this.runId}-${this.registered.toString(36).padStart(5, '0')}`,
			agentFrom,
			agentTo: this.random.chance(0.6) ? this.random.pick(agents.filter(a => a !== agentFrom)) : null,
			policy,
			expiresInMs: explicitExpiry ? Math.round(this.options.policy.sessionTtlMs * this.random.between(0.3, 0.8)) : null,
			metadata: {
				simulated: true,
				project: this.random.pick(['billing-api', 'web-frontend', 'infra', 'ml-pipeline', 'docs', 'mobile-app']),
				task: this.random.pick(['bugfix', 'feature', 'refactor', 'review', 'migration', 'incident']),
				started_at: new Date(now).toISOString(),
			},
		};
	}

	private context(session: SimSession, wake: boolean): Action {
		const contextType = this.random.weighted({
			message: contextMix.message.weight,
			tool_call: contextMix.tool_call.weight,
			file: contextMix.file.weight,
			system: contextMix.system.weight,
		});
		const mix = contextMix[contextType];
		const sizeBytes = Math.max(16, Math.min(mix.maxBytes, Math.round(this.random.logNormal(mix.medianBytes, mix.sigma))));
		const processingMs = Math.max(0, Math.round(this.random.logNormal(mix.medianMs, 0.7) + sizeBytes / 4096));
		return {kind: 'update_context', session, contextType, sizeBytes, processingMs, wake};
	}

	// --- what actually happened, reported by the runner ---

	addSession(action: Extract<Action, {kind: 'register_session'}>, id: string, now: number): SimSession {
		const dormantMs = this.options.policy.dormantAfterMs;
		const session: SimSession = {
			id,
			key: action.key,
			agentFrom: action.agentFrom,
			agentTo: action.agentTo,
			policy: action.policy,
			status: 'active',
			dormant: false,
			createdAt: now,
			lastActivityAt: now,
			// Sessions talk for a while (some past the dormancy threshold); then about half are
			// ended by their agent and the rest just go quiet, to be swept dormant and expired.
			quietAt: now + this.random.logNormal(dormantMs, 0.8),
			endsExplicitly: this.random.chance(0.45),
			nextSequence: 1,
			handoffs: [],
			busy: false,
		};
		this.sessions.set(id, session);
		return session;
	}

	touched(session: SimSession, now: number): void {
		session.lastActivityAt = now;
		session.dormant = false;
	}

	/** The sweep's results, applied to what the clients know. */
	swept(action: string, sessionId: string): void {
		const session = this.sessions.get(sessionId);
		if (!session) return;
		switch (action) {
			case 'dormant':
				session.dormant = true;
				break;
			case 'expire':
				session.status = 'expired';
				break;
			case 'archive':
			case 'purge':
				// Archived sessions are read-only: the clients forget them.
				this.sessions.delete(sessionId);
				break;
			default:
				break;
		}
	}

	forget(sessionId: string): void {
		this.sessions.delete(sessionId);
	}
}
