// The runtime statements of the real handoff server (ragusa-it/ai-handoff-mcp
// at efa6ad8), issued in the order and shape its services send them:
// DatabaseManager / MonitoredDatabaseManager (src/database), sessionManager,
// backgroundJobScheduler (retention), monitoringService, analyticsService and
// the MCP tools registerSession, updateContext and requestHandoff. Redis and
// logging are left out; every SQL statement is kept, including the
// performance_logs rows the monitored wrappers write.
//
// Each method throws the PostgreSQL error where the server lets it propagate,
// and records it and carries on where the server swallows it (its lifecycle
// INSERTs, performance/metric/aggregation stores, per-session errors of its
// jobs) — `failures()` lists both, so a test can assert that every statement
// the server sends succeeds. See .scratch/issue12-facts.md, part b.
import type pg from 'pg';

type Queryable = Pick<pg.ClientBase, 'query'>;
type Row = Record<string, any>;

export type StatementRecord = {
	/** Where the server sends it, e.g. `sessionManager.expireSession: lifecycle insert`. */
	name: string;
	text: string;
	values: unknown[];
	rowCount: number | null;
	error?: {code: string; message: string};
	/** The server catches this statement's error and carries on. */
	ignoredByServer?: true;
};

/** The server's in-memory retention policies (sessionManager.ts); nothing of them is in the database. */
export const serverRetentionPolicies = [
	{name: 'standard', activeSessionTtlHours: 24, archivedSessionTtlDays: 30, dormantThresholdHours: 2},
	{name: 'extended', activeSessionTtlHours: 72, archivedSessionTtlDays: 90, dormantThresholdHours: 6},
	{name: 'short', activeSessionTtlHours: 4, archivedSessionTtlDays: 7, dormantThresholdHours: 1},
] as const;

/** Lifecycle event types the server's code inserts itself (sessionManager.logLifecycleEvent). */
export const serverApplicationEventTypes = ['expiration_scheduled', 'expired', 'archived', 'dormant', 'reactivated'] as const;
/** Aggregation types it writes into analytics_aggregations (monitoringService, analyticsService). */
export const serverAggregationTypes = [
	'hourly_performance',
	'hourly_session_stats',
	'hourly_handoff_stats',
	'hourly_performance_trends',
	'daily_context_growth',
] as const;
/** The system_metrics names monitoringService.storeSystemMetrics writes every collection. */
export const serverSystemMetricNames = [
	'memory_usage_bytes',
	'memory_usage_percentage',
	'cpu_usage_percentage',
	'active_sessions',
	'dormant_sessions',
	'archived_sessions',
] as const;

const policyOf = (name: unknown) => serverRetentionPolicies.find(policy => policy.name === name) ?? serverRetentionPolicies[0];
const hours = (n: number) => n * 3_600_000;
/** monitoringService's hour bucket: the start of the current hour in local time. */
export const localHourStart = (at: Date) => new Date(at.getFullYear(), at.getMonth(), at.getDate(), at.getHours());

export type SessionUpdates = {
	agentTo?: string;
	status?: string;
	expiresAt?: Date;
	metadata?: Record<string, unknown>;
	lastActivityAt?: Date;
	isDormant?: boolean;
	retentionPolicy?: string;
};

export type HandoffArgs = {sessionKey: string; targetAgent: string; requestType?: 'context_transfer' | 'full_handoff' | 'collaboration'; requestData?: Record<string, unknown>};

export type RetentionRun = {archived: number; deleted: number; failures: Array<{sessionId: string; step: 'archive' | 'delete'; code: string}>};

export class ServerRuntime {
	readonly transcript: StatementRecord[] = [];

	constructor(private readonly db: Queryable) {}

	/** Every statement that failed, swallowed by the server or not. */
	failures(): StatementRecord[] {
		return this.transcript.filter(record => record.error);
	}

	private async send(name: string, text: string, values: unknown[] = [], ignore = false): Promise<pg.QueryResult<Row> | undefined> {
		try {
			const result = await this.db.query<Row>(text, values as any[]);
			this.transcript.push({name, text, values, rowCount: result.rowCount});
			return result;
		} catch (error) {
			const {code, message} = error as {code?: string; message: string};
			this.transcript.push({name, text, values, rowCount: null, error: {code: code ?? 'unknown', message}, ...(ignore ? {ignoredByServer: true as const} : {})});
			if (ignore) return undefined;
			throw error;
		}
	}

	private async rows(name: string, text: string, values: unknown[] = []): Promise<Row[]> {
		return (await this.send(name, text, values))!.rows;
	}

	// -- monitoringService: stores (every error swallowed) ----------------------------

	async storePerformanceLog(operation: string, durationMs: number, success: boolean, sessionId: string | null, metadata: Record<string, unknown> = {}): Promise<void> {
		await this.send(
			'monitoringService.storePerformanceLog',
			'INSERT INTO performance_logs (operation, duration_ms, success, session_id, metadata) VALUES ($1, $2, $3, $4, $5)',
			[operation, durationMs, success, sessionId, JSON.stringify(metadata)],
			true,
		);
	}

	/** recordPerformanceMetrics: session_id always NULL. */
	async recordPerformanceMetrics(operation: string, durationMs: number, success: boolean, metadata: Record<string, unknown> = {}): Promise<void> {
		await this.storePerformanceLog(operation, durationMs, success, null, metadata);
	}

	async recordToolCall(toolName: string, durationMs: number, success: boolean, metadata: Record<string, unknown> = {}): Promise<void> {
		await this.storePerformanceLog('tool_call', durationMs, success, null, {tool_name: toolName, ...metadata});
	}

	/** The only performance row with a session_id (operation 'handoff'): it holds the legacy FK without ON DELETE. */
	async recordHandoffMetrics(sessionId: string, metrics: {agentFrom: string; agentTo: string; durationMs: number; success: boolean; contextSize?: number; errorType?: string}): Promise<void> {
		await this.storePerformanceLog('handoff', metrics.durationMs, metrics.success, sessionId, {
			agent_from: metrics.agentFrom,
			agent_to: metrics.agentTo,
			context_size: metrics.contextSize,
			error_type: metrics.errorType,
		});
	}

	/** Six gauges per collection, one INSERT each; the first failure ends the loop (swallowed). */
	async storeSystemMetrics(snapshot: {memoryUsedBytes: number; memoryPercentage: number; cpuUsage: number; active: number; dormant: number; archived: number}): Promise<void> {
		const values: Array<[string, number, string]> = [
			['memory_usage_bytes', snapshot.memoryUsedBytes, 'system'],
			['memory_usage_percentage', snapshot.memoryPercentage, 'system'],
			['cpu_usage_percentage', snapshot.cpuUsage, 'system'],
			['active_sessions', snapshot.active, 'sessions'],
			['dormant_sessions', snapshot.dormant, 'sessions'],
			['archived_sessions', snapshot.archived, 'sessions'],
		];
		for (const [name, value, component] of values) {
			const result = await this.send(
				'monitoringService.storeSystemMetrics',
				'INSERT INTO system_metrics (metric_name, metric_value, metric_type, labels) VALUES ($1, $2, $3, $4)',
				[name, value, 'gauge', JSON.stringify({component})],
				true,
			);
			if (!result) return;
		}
	}

	async storeMetricsAggregation(aggregationType: string, timeBucket: Date, data: Record<string, unknown>): Promise<void> {
		await this.send(
			'monitoringService.storeMetricsAggregation',
			'INSERT INTO analytics_aggregations (aggregation_type, time_bucket, aggregation_data) VALUES ($1, $2, $3)',
			[aggregationType, timeBucket, JSON.stringify(data)],
			true,
		);
	}

	/** 'hourly_performance' for the current local hour, after a check that it is not there yet (a check two
	 * server processes can both pass: then the bucket is written twice). Everything swallowed. */
	async performHourlyAggregations(hourBucket = localHourStart(new Date())): Promise<void> {
		const name = 'monitoringService.performHourlyAggregations';
		const existing = await this.send(name, 'SELECT id FROM analytics_aggregations WHERE aggregation_type = $1 AND time_bucket = $2', ['hourly_performance', hourBucket], true);
		if (!existing || existing.rows.length > 0) return;
		const perOperation = await this.send(
			name,
			`SELECT operation, COUNT(*) AS total_calls, AVG(duration_ms) AS avg_duration, MIN(duration_ms) AS min_duration, MAX(duration_ms) AS max_duration,
			        PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_duration,
			        COUNT(*) FILTER (WHERE success = true) AS successful_calls, COUNT(*) FILTER (WHERE success = false) AS failed_calls
			   FROM performance_logs WHERE created_at >= $1 AND created_at < $2 GROUP BY operation`,
			[hourBucket, new Date(hourBucket.getTime() + hours(1))],
			true,
		);
		if (!perOperation) return;
		const operations = Object.fromEntries(perOperation.rows.map(row => [row['operation'], {totalCalls: Number(row['total_calls']), avgDuration: Number(row['avg_duration'] ?? 0)}]));
		await this.storeMetricsAggregation('hourly_performance', hourBucket, {operations});
	}

	async checkDatabaseHealth(): Promise<number> {
		await this.rows('monitoringService.checkDatabaseHealth', 'SELECT 1');
		const [row] = await this.rows('monitoringService.checkDatabaseHealth', 'SELECT COUNT(*) as count FROM sessions');
		return Number(row?.['count']);
	}

	/** Errors are caught by the server (it returns zeros). */
	async getSystemMetrics(): Promise<{active: number; dormant: number; archived: number}> {
		const result = await this.send(
			'monitoringService.getSystemMetrics',
			`SELECT COUNT(*) FILTER (WHERE status = 'active') as active, COUNT(*) FILTER (WHERE is_dormant = true) as dormant,
			        COUNT(*) FILTER (WHERE archived_at IS NOT NULL) as archived FROM sessions`,
			[],
			true,
		);
		const row = result?.rows[0];
		return {active: Number(row?.['active'] ?? 0), dormant: Number(row?.['dormant'] ?? 0), archived: Number(row?.['archived'] ?? 0)};
	}

	/** One collection round (every metricsCollectionInterval, 60 s): session counts, six metrics, the hourly aggregation. */
	async collectSystemMetrics(hourBucket?: Date): Promise<void> {
		const counts = await this.getSystemMetrics();
		await this.storeSystemMetrics({memoryUsedBytes: 48_000_000, memoryPercentage: 61.25, cpuUsage: 0, ...counts});
		await this.performHourlyAggregations(hourBucket);
	}

	/** Reads of monitoringService (errors caught by the server). */
	async monitoringReads(range: {start: Date; end: Date}): Promise<void> {
		await this.send('monitoringService.getMetricsAggregation', 'SELECT avg(metric_value) as result FROM system_metrics WHERE metric_name = $1 AND recorded_at BETWEEN $2 AND $3', ['active_sessions', range.start, range.end], true);
		await this.send(
			'monitoringService.getPerformanceTrends',
			`SELECT DATE_TRUNC('hour', created_at) as timestamp, AVG(duration_ms) as avg_duration,
			        (COUNT(*) FILTER (WHERE success = true) * 100.0 / COUNT(*)) as success_rate
			   FROM performance_logs WHERE operation = $1 AND created_at BETWEEN $2 AND $3
			  GROUP BY DATE_TRUNC('hour', created_at) ORDER BY timestamp ASC`,
			['handoff', range.start, range.end],
			true,
		);
	}

	// -- DatabaseManager / MonitoredDatabaseManager ------------------------------------

	/** MonitoredDatabaseManager.getSession: the SELECT, then a 'get_session' performance row. */
	async getSession(sessionKey: string): Promise<Row | null> {
		const [row] = await this.rows('database.getSession', 'SELECT * FROM sessions WHERE session_key = $1', [sessionKey]);
		await this.recordPerformanceMetrics('get_session', 1, true, {sessionKey, cacheHit: Boolean(row), found: Boolean(row)});
		return row ?? null;
	}

	async getSessionById(sessionId: string, name = 'database.getSessionById'): Promise<Row | null> {
		const [row] = await this.rows(name, 'SELECT * FROM sessions WHERE id = $1', [sessionId]);
		return row ?? null;
	}

	async getArchivedSession(sessionKey: string): Promise<Row | null> {
		const [row] = await this.rows('database.getArchivedSession', 'SELECT * FROM sessions WHERE session_key = $1 AND archived_at IS NOT NULL', [sessionKey]);
		return row ?? null;
	}

	/** INSERT ... RETURNING *: the lifecycle trigger (if any) logs 'created'. Then a 'create_session' performance row. */
	async createSession(sessionKey: string, agentFrom: string, metadata: Record<string, unknown> = {}): Promise<Row> {
		try {
			const [row] = await this.rows('database.createSession', 'INSERT INTO sessions (session_key, agent_from, metadata) VALUES ($1, $2, $3) RETURNING *', [sessionKey, agentFrom, JSON.stringify(metadata)]);
			await this.recordPerformanceMetrics('create_session', 2, true, {sessionKey, agentFrom});
			return row!;
		} catch (error) {
			await this.recordPerformanceMetrics('create_session', 2, false, {sessionKey, agentFrom, error: (error as Error).message});
			throw error;
		}
	}

	/** getSession (refuses an archived one in the application), then one UPDATE of the given columns and updated_at. */
	async updateSession(sessionKey: string, updates: SessionUpdates): Promise<Row | null> {
		const existing = await this.getSession(sessionKey);
		if (existing?.['archived_at']) throw new Error(`Cannot update archived session: ${sessionKey}`);
		const set: string[] = [];
		const values: unknown[] = [];
		const add = (column: string, value: unknown) => {
			values.push(value);
			set.push(`${column} = $${values.length}`);
		};
		if (updates.agentTo !== undefined) add('agent_to', updates.agentTo);
		if (updates.status !== undefined) add('status', updates.status);
		if (updates.expiresAt !== undefined) add('expires_at', updates.expiresAt);
		if (updates.metadata !== undefined) add('metadata', JSON.stringify(updates.metadata));
		if (updates.lastActivityAt !== undefined) add('last_activity_at', updates.lastActivityAt);
		if (updates.isDormant !== undefined) add('is_dormant', updates.isDormant);
		if (updates.retentionPolicy !== undefined) add('retention_policy', updates.retentionPolicy);
		if (set.length === 0) return null;
		set.push('updated_at = NOW()');
		values.push(sessionKey);
		const [row] = await this.rows('database.updateSession', `UPDATE sessions SET ${set.join(', ')} WHERE session_key = $${values.length} RETURNING *`, values);
		return row ?? null;
	}

	/** Refuses an archived session in the application; next sequence number by MAX()+1; INSERT ... RETURNING *;
	 * then an 'add_context' performance row. The context type is whatever the caller passes (its tests use 'user_input'). */
	async addContextEntry(sessionId: string, contextType: string, content: string, metadata: Record<string, unknown> = {}): Promise<Row> {
		const contentSize = Buffer.byteLength(content, 'utf8');
		try {
			const session = await this.getSessionById(sessionId, 'database.addContextEntry');
			if (session?.['archived_at']) throw new Error(`Cannot add context to archived session: ${sessionId}`);
			const [next] = await this.rows('database.addContextEntry', 'SELECT COALESCE(MAX(sequence_number), 0) + 1 as next_seq FROM context_history WHERE session_id = $1', [sessionId]);
			const [row] = await this.rows(
				'database.addContextEntry',
				'INSERT INTO context_history (session_id, sequence_number, context_type, content, metadata) VALUES ($1, $2, $3, $4, $5) RETURNING *',
				[sessionId, next!['next_seq'], contextType, content, JSON.stringify(metadata)],
			);
			await this.recordPerformanceMetrics('add_context', 3, true, {sessionId, contextType, contentSize, sequenceNumber: row!['sequence_number']});
			return row!;
		} catch (error) {
			await this.recordPerformanceMetrics('add_context', 3, false, {sessionId, contextType, contentSize, error: (error as Error).message});
			throw error;
		}
	}

	async getContextHistory(sessionId: string, limit?: number): Promise<Row[]> {
		const text = `SELECT * FROM context_history WHERE session_id = $1 ORDER BY sequence_number ASC${limit ? ' LIMIT $2' : ''}`;
		return this.rows('database.getContextHistory', text, limit ? [sessionId, String(limit)] : [sessionId]);
	}

	// -- sessionManager ------------------------------------------------------------------

	private async logLifecycleEvent(caller: string, sessionId: string, eventType: string, eventData: Record<string, unknown>): Promise<void> {
		await this.send(
			`sessionManager.${caller}: lifecycle insert`,
			'INSERT INTO session_lifecycle (session_id, event_type, event_data) VALUES ($1, $2, $3)',
			[sessionId, eventType, JSON.stringify(eventData)],
			true,
		);
	}

	/** BEGIN, three orphan counts, COMMIT (the server sends them through its pool). Its callers swallow errors. */
	async ensureReferentialIntegrity(sessionId: string): Promise<void> {
		const name = 'sessionManager.ensureReferentialIntegrity';
		try {
			await this.send(name, 'BEGIN', [], true);
			for (const [child, alias] of [['context_history', 'ch'], ['session_lifecycle', 'sl'], ['performance_logs', 'pl']] as const) {
				const result = await this.send(
					name,
					`SELECT COUNT(*) as count FROM ${child} ${alias} LEFT JOIN sessions s ON ${alias}.session_id = s.id WHERE ${alias}.session_id = $1 AND s.id IS NULL`,
					[sessionId],
					true,
				);
				if (!result) throw new Error('integrity check failed');
			}
			await this.send(name, 'COMMIT', [], true);
		} catch {
			await this.send(name, 'ROLLBACK', [], true);
		}
	}

	/** UPDATE expires_at (the server's last_activity trigger moves last_activity_at too), then its own
	 * 'expiration_scheduled' lifecycle row, then a 'schedule_expiration' performance row. */
	async scheduleExpiration(sessionId: string, customExpiresAt?: Date): Promise<Date> {
		try {
			const session = await this.getSessionById(sessionId, 'sessionManager.scheduleExpiration');
			if (!session) throw new Error(`Session ${sessionId} not found`);
			const policy = policyOf(session['retention_policy'] ?? 'standard');
			const expiresAt = customExpiresAt ?? new Date(Date.now() + hours(policy.activeSessionTtlHours));
			await this.send('sessionManager.scheduleExpiration', 'UPDATE sessions SET expires_at = $1 WHERE id = $2', [expiresAt, sessionId]);
			await this.logLifecycleEvent('scheduleExpiration', sessionId, 'expiration_scheduled', {
				expires_at: expiresAt,
				retention_policy: policy.name,
				ttl_hours: policy.activeSessionTtlHours,
			});
			await this.recordPerformanceMetrics('schedule_expiration', 2, true, {sessionId, retentionPolicy: policy.name, ttlHours: policy.activeSessionTtlHours});
			return expiresAt;
		} catch (error) {
			await this.recordPerformanceMetrics('schedule_expiration', 2, false, {sessionId, error: (error as Error).message});
			throw error;
		}
	}

	/** status = 'expired' (the trigger logs 'status_changed'), integrity check, then its own 'expired' row. */
	async expireSession(sessionId: string): Promise<void> {
		const session = await this.getSessionById(sessionId, 'sessionManager.expireSession');
		if (!session) throw new Error(`Session ${sessionId} not found`);
		if (session['status'] === 'expired' || session['archived_at']) return;
		await this.send('sessionManager.expireSession', 'UPDATE sessions SET status = $1, updated_at = NOW() WHERE id = $2', ['expired', sessionId]);
		await this.ensureReferentialIntegrity(sessionId);
		await this.logLifecycleEvent('expireSession', sessionId, 'expired', {
			previous_status: session['status'],
			expired_at: new Date(),
			retention_policy: session['retention_policy'] ?? 'standard',
		});
	}

	/** archived_at and is_dormant = true in one UPDATE (the trigger logs 'dormant' and 'archived'), then its own 'archived' row. */
	async archiveSession(sessionId: string, archivedAt = new Date()): Promise<void> {
		const session = await this.getSessionById(sessionId, 'sessionManager.archiveSession');
		if (!session) throw new Error(`Session ${sessionId} not found`);
		if (session['archived_at']) return;
		await this.send('sessionManager.archiveSession', 'UPDATE sessions SET archived_at = $1, is_dormant = true, updated_at = NOW() WHERE id = $2', [archivedAt, sessionId]);
		await this.ensureReferentialIntegrity(sessionId);
		await this.logLifecycleEvent('archiveSession', sessionId, 'archived', {
			archived_at: archivedAt,
			previous_status: session['status'],
			retention_policy: session['retention_policy'] ?? 'standard',
		});
	}

	/** is_dormant = true (the server's last_activity trigger resets last_activity_at), then its own 'dormant' row. */
	async markSessionDormant(sessionId: string): Promise<void> {
		const session = await this.getSessionById(sessionId, 'sessionManager.markSessionDormant');
		if (!session) throw new Error(`Session ${sessionId} not found`);
		if (session['is_dormant']) return;
		await this.send('sessionManager.markSessionDormant', 'UPDATE sessions SET is_dormant = true, updated_at = NOW() WHERE id = $1', [sessionId]);
		await this.logLifecycleEvent('markSessionDormant', sessionId, 'dormant', {
			marked_dormant_at: new Date(),
			last_activity: session['last_activity_at'] ?? session['created_at'],
		});
	}

	async reactivateSession(sessionId: string): Promise<void> {
		const session = await this.getSessionById(sessionId, 'sessionManager.reactivateSession');
		if (!session) throw new Error(`Session ${sessionId} not found`);
		if (!session['is_dormant']) return;
		await this.send('sessionManager.reactivateSession', 'UPDATE sessions SET is_dormant = false, last_activity_at = NOW(), updated_at = NOW() WHERE id = $1', [sessionId]);
		await this.logLifecycleEvent('reactivateSession', sessionId, 'reactivated', {
			reactivated_at: new Date(),
			was_dormant_since: session['last_activity_at'] ?? session['created_at'],
		});
	}

	/** Per policy: idle active/pending sessions of that policy, each marked dormant (per-session errors swallowed). */
	async detectDormantSessions(now = new Date()): Promise<number> {
		let count = 0;
		for (const policy of serverRetentionPolicies) {
			const due = await this.rows(
				'sessionManager.detectDormantSessions',
				`SELECT id, session_key, last_activity_at FROM sessions
				  WHERE retention_policy = $1 AND is_dormant = false AND status IN ('active', 'pending') AND last_activity_at < $2`,
				[policy.name, new Date(now.getTime() - hours(policy.dormantThresholdHours))],
			);
			for (const row of due) {
				try {
					await this.markSessionDormant(row['id']);
					count++;
				} catch {}
			}
		}
		return count;
	}

	/** The session-cleanup job: orphans (idle 7 days, no context) expired and archived, then sessions past expires_at expired. */
	async cleanupOrphanedSessions(): Promise<number> {
		let count = 0;
		const orphans = await this.rows(
			'sessionManager.cleanupOrphanedSessions',
			`SELECT s.id, s.session_key, s.status, s.last_activity_at FROM sessions s LEFT JOIN context_history ch ON s.id = ch.session_id
			  WHERE s.last_activity_at < NOW() - INTERVAL '7 days' AND s.status NOT IN ('archived', 'completed') AND ch.id IS NULL`,
		);
		for (const row of orphans) {
			try {
				await this.expireSession(row['id']);
				await this.archiveSession(row['id']);
				count++;
			} catch {}
		}
		const expired = await this.rows(
			'sessionManager.cleanupOrphanedSessions',
			`SELECT id, session_key, status FROM sessions WHERE expires_at IS NOT NULL AND expires_at < NOW() AND status NOT IN ('expired', 'archived')`,
		);
		for (const row of expired) {
			try {
				await this.expireSession(row['id']);
				count++;
			} catch {}
		}
		return count;
	}

	async getCleanupStats(): Promise<{expired: number; archived: number; orphaned: number}> {
		const name = 'sessionManager.getCleanupStats';
		const [expired] = await this.rows(name, "SELECT COUNT(*) as count FROM sessions WHERE status = 'expired'");
		const [archived] = await this.rows(name, 'SELECT COUNT(*) as count FROM sessions WHERE archived_at IS NOT NULL');
		const [orphaned] = await this.rows(
			name,
			`SELECT COUNT(*) as count FROM sessions s LEFT JOIN context_history ch ON s.id = ch.session_id
			  WHERE s.last_activity_at < NOW() - INTERVAL '7 days' AND s.status NOT IN ('archived', 'completed') AND ch.id IS NULL`,
		);
		return {expired: Number(expired?.['count']), archived: Number(archived?.['count']), orphaned: Number(orphaned?.['count'])};
	}

	// -- backgroundJobScheduler: retention enforcement (daily) ---------------------------

	/** Per policy: archive active/completed sessions idle past the active TTL, then DELETE each archived session
	 * past the archived TTL. Per-session errors are swallowed (the job reports success); they are returned here. */
	async enforceRetention(now = new Date()): Promise<RetentionRun> {
		const run: RetentionRun = {archived: 0, deleted: 0, failures: []};
		const codeOf = (error: unknown) => (error as {code?: string}).code ?? 'application';
		for (const policy of serverRetentionPolicies) {
			const archiveBefore = new Date(now.getTime() - hours(policy.activeSessionTtlHours));
			const toArchive = await this.rows(
				'backgroundJobScheduler.enforceRetentionPolicy',
				`SELECT id, session_key FROM sessions WHERE retention_policy = $1 AND status IN ('active', 'completed') AND archived_at IS NULL
				    AND (expires_at IS NULL OR expires_at < $2) AND last_activity_at < $2`,
				[policy.name, archiveBefore],
			);
			for (const row of toArchive) {
				try {
					await this.archiveSession(row['id']);
					run.archived++;
				} catch (error) {
					run.failures.push({sessionId: row['id'], step: 'archive', code: codeOf(error)});
				}
			}
			const deleteBefore = new Date(now.getTime() - policy.archivedSessionTtlDays * hours(24));
			const toDelete = await this.rows(
				'backgroundJobScheduler.enforceRetentionPolicy',
				'SELECT id, session_key FROM sessions WHERE retention_policy = $1 AND archived_at IS NOT NULL AND archived_at < $2',
				[policy.name, deleteBefore],
			);
			for (const row of toDelete) {
				const result = await this.send('backgroundJobScheduler.enforceRetentionPolicy: delete', 'DELETE FROM sessions WHERE id = $1', [row['id']], true);
				if (result) run.deleted++;
				else run.failures.push({sessionId: row['id'], step: 'delete', code: this.transcript.at(-1)!.error!.code});
			}
		}
		return run;
	}

	// -- analyticsService ----------------------------------------------------------------

	/** Reads the source table of one aggregation type, then stores it (store errors swallowed). */
	async aggregateAnalyticsData(timeBucket: Date, aggregationType: Exclude<(typeof serverAggregationTypes)[number], 'hourly_performance'>): Promise<void> {
		const name = `analyticsService.aggregateAnalyticsData(${aggregationType})`;
		const end = new Date(timeBucket.getTime() + hours(aggregationType === 'daily_context_growth' ? 24 : 1));
		const reads: Record<typeof aggregationType, string> = {
			hourly_session_stats: `SELECT status, COUNT(*) as count, AVG(EXTRACT(EPOCH FROM (updated_at - created_at))) as avg_duration
			                         FROM sessions WHERE created_at >= $1 AND created_at < $2 GROUP BY status`,
			hourly_handoff_stats: `SELECT success, COUNT(*) as count, AVG(duration_ms) as avg_duration, metadata->>'agent_from' as agent_from, metadata->>'agent_to' as agent_to
			                         FROM performance_logs WHERE operation = 'handoff' AND created_at >= $1 AND created_at < $2
			                        GROUP BY success, metadata->>'agent_from', metadata->>'agent_to'`,
			hourly_performance_trends: `SELECT operation, COUNT(*) as count, AVG(duration_ms) as avg_duration, MIN(duration_ms) as min_duration, MAX(duration_ms) as max_duration,
			                              COUNT(*) FILTER (WHERE success = true) as successful, COUNT(*) FILTER (WHERE success = false) as failed
			                              FROM performance_logs WHERE created_at >= $1 AND created_at < $2 GROUP BY operation`,
			daily_context_growth: `SELECT context_type, COUNT(*) as count, AVG(content_size_bytes) as avg_size, SUM(content_size_bytes) as total_size
			                         FROM context_history WHERE created_at >= $1 AND created_at < $2 GROUP BY context_type`,
		};
		const rows = await this.rows(name, reads[aggregationType], [timeBucket, end]);
		await this.storeMetricsAggregation(aggregationType, timeBucket, {timestamp: timeBucket, rows: rows.length});
		await this.recordPerformanceMetrics('aggregate_analytics_data', 4, true, {aggregationType, timeBucket: timeBucket.toISOString()});
	}

	/** ensureAggregationsUpToDate: three hourly types for "an hour ago" (not truncated to the hour: a new bucket each call). */
	async ensureAggregationsUpToDate(now = new Date()): Promise<void> {
		const hourAgo = new Date(now.getTime() - hours(1));
		for (const type of ['hourly_session_stats', 'hourly_handoff_stats', 'hourly_performance_trends'] as const) {
			try {
				await this.aggregateAnalyticsData(hourAgo, type);
			} catch {}
		}
	}

	/** The analytics screens' reads (their columns must exist): session statistics, agents, handoffs, context
	 * growth, performance trends, resource history, database performance. */
	async analyticsReads(range: {start: Date; end: Date}): Promise<void> {
		const name = 'analyticsService';
		const window = [range.start, range.end];
		await this.rows(
			name,
			`SELECT status, COUNT(*) as count, AVG(EXTRACT(EPOCH FROM (COALESCE(updated_at, NOW()) - created_at))) as avg_duration_seconds,
			        AVG(context_volume) as avg_context_volume, AVG(participant_count) as avg_participant_count
			   FROM sessions s
			   LEFT JOIN (SELECT session_id, COUNT(*) as context_volume,
			                     COUNT(DISTINCT CASE WHEN metadata->>'agent' IS NOT NULL THEN metadata->>'agent' END) + 1 as participant_count
			                FROM context_history GROUP BY session_id) ch ON s.id = ch.session_id
			  WHERE s.created_at BETWEEN $1 AND $2 GROUP BY status`,
			window,
		);
		await this.rows(name, 'SELECT agent_from, COUNT(*) as count FROM sessions WHERE created_at BETWEEN $1 AND $2 GROUP BY agent_from ORDER BY count DESC', window);
		await this.rows(
			name,
			`SELECT pl.success, pl.duration_ms, pl.metadata->>'agent_from' as agent_from, pl.metadata->>'agent_to' as agent_to,
			        pl.metadata->>'context_size' as context_size, pl.metadata->>'error_type' as error_type, pl.created_at
			   FROM performance_logs pl WHERE pl.operation = 'handoff' AND pl.created_at BETWEEN $1 AND $2 ORDER BY pl.created_at DESC`,
			window,
		);
		await this.rows(
			name,
			`SELECT ch.context_type, ch.content_size_bytes, ch.created_at, s.session_key FROM context_history ch JOIN sessions s ON ch.session_id = s.id
			  WHERE ch.created_at BETWEEN $1 AND $2 ORDER BY ch.created_at ASC`,
			window,
		);
		await this.rows(name, 'SELECT operation, duration_ms, success, created_at, metadata FROM performance_logs WHERE created_at BETWEEN $1 AND $2 ORDER BY created_at DESC', window);
		await this.rows(
			name,
			`SELECT metric_name, metric_value, recorded_at, labels FROM system_metrics WHERE recorded_at BETWEEN $1 AND $2
			    AND metric_name IN ('memory_usage_percentage', 'cpu_usage_percentage', 'active_sessions', 'active_connections') ORDER BY recorded_at ASC`,
			window,
		);
		await this.rows(
			name,
			`SELECT COUNT(*) as total_queries, COUNT(*) FILTER (WHERE duration_ms > 1000) as slow_queries, AVG(duration_ms) as avg_query_time,
			        COUNT(*) FILTER (WHERE success = false) as failed_queries, operation
			   FROM performance_logs WHERE operation LIKE '%query%' OR operation LIKE '%database%' AND created_at BETWEEN $1 AND $2 GROUP BY operation`,
			window,
		);
	}

	// -- contextManager (requestHandoff's helpers) and its own bugs -----------------------

	async getFullContext(sessionKey: string): Promise<{session: Row; history: Row[]} | null> {
		const session = await this.getSession(sessionKey);
		if (!session) return null;
		const history = await this.getContextHistory(session['id']);
		await this.createHandoffSummary(sessionKey);
		await this.recordPerformanceMetrics('get_full_context', 3, true, {sessionKey, contextEntries: history.length});
		return {session, history};
	}

	async createHandoffSummary(sessionKey: string): Promise<string> {
		const session = await this.getSession(sessionKey);
		if (!session) throw new Error('Session not found');
		const history = await this.getContextHistory(session['id']);
		await this.recordPerformanceMetrics('create_handoff_summary', 1, true, {sessionKey, contextEntries: history.length});
		return `Session '${sessionKey}' initiated by ${session['agent_from']}. Total of ${history.length} context entries.`;
	}

	/** The server's own bug (contextManager.getSessionsByAgent): camel-case columns no schema has -> 42703; it catches it and returns []. */
	async getSessionsByAgent(agent: string): Promise<Row[]> {
		const result = await this.send('contextManager.getSessionsByAgent (server bug)', 'SELECT * FROM sessions WHERE agentFrom = $1 OR agentTo = $1', [agent], true);
		return result?.rows ?? [];
	}

	/** The server's own bug (codebaseAnalyzer.storeAnalysisResult): `?` placeholders -> 42601 before the
	 * columns analysis/summary/timestamp (in no schema) are even looked up. It propagates. */
	async storeAnalysisResult(sessionId: string, result: {filePath: string; contentHash: string; summary: string}): Promise<void> {
		await this.send(
			'codebaseAnalyzer.storeAnalysisResult (server bug)',
			'INSERT INTO codebase_snapshots (session_id, file_path, content_hash, analysis, summary, timestamp) VALUES (?, ?, ?, ?, ?, ?)',
			[sessionId, result.filePath, result.contentHash, '{}', result.summary, new Date().toISOString()],
		);
	}

	// -- MCP tools ---------------------------------------------------------------------------

	/** monitoredToolWrapper.wrapTool: after the tool, a 'tool_call' performance row (success unless the tool threw;
	 * the tools turn most errors into failure responses, which count as success). */
	private async tool<T>(toolName: string, sessionKey: string, run: () => Promise<T>): Promise<T> {
		const started = Date.now();
		const metadata = {sessionId: sessionKey, concurrentExecutions: 1, executionId: `${toolName}_${started}`};
		try {
			const result = await run();
			await this.recordToolCall(toolName, Date.now() - started, true, metadata);
			return result;
		} catch (error) {
			await this.recordToolCall(toolName, Date.now() - started, false, {...metadata, errorMessage: (error as Error).message});
			throw error;
		}
	}

	/** registerSession: getSession, INSERT, scheduleExpiration ('expiration_scheduled'), a 'system' context entry. */
	async registerSession(args: {sessionKey: string; agentFrom: string; metadata?: Record<string, unknown>}): Promise<{ok: true; session: Row} | {ok: false; reason: string}> {
		return this.tool('registerSession', args.sessionKey, () => this.registerSessionTool(args));
	}

	private async registerSessionTool(args: {sessionKey: string; agentFrom: string; metadata?: Record<string, unknown>}): Promise<{ok: true; session: Row} | {ok: false; reason: string}> {
		const metadata = args.metadata ?? {};
		if (await this.getSession(args.sessionKey)) return {ok: false, reason: 'Session already exists'};
		const session = await this.createSession(args.sessionKey, args.agentFrom, metadata);
		await this.scheduleExpiration(session['id']);
		await this.addContextEntry(session['id'], 'system', `Session registered by agent: ${args.agentFrom}`, {action: 'session_registered', ...metadata});
		return {ok: true, session};
	}

	/** updateContext: only an 'active' session; UPDATE last_activity_at, reactivate when dormant, the context
	 * entry (any context type, e.g. 'user_input'), then UPDATE its content_size_bytes. */
	async updateContext(args: {sessionKey: string; contextType: string; content: string; metadata?: Record<string, unknown>}): Promise<{ok: true; entry: Row} | {ok: false; reason: string}> {
		return this.tool('updateContext', args.sessionKey, () => this.updateContextTool(args));
	}

	private async updateContextTool(args: {sessionKey: string; contextType: string; content: string; metadata?: Record<string, unknown>}): Promise<{ok: true; entry: Row} | {ok: false; reason: string}> {
		const session = await this.getSession(args.sessionKey);
		if (!session) return {ok: false, reason: 'Session not found'};
		if (session['status'] !== 'active') return {ok: false, reason: 'Session is not active'};
		await this.send('updateContext', 'UPDATE sessions SET last_activity_at = NOW(), updated_at = NOW() WHERE id = $1', [session['id']]);
		if (session['is_dormant']) await this.reactivateSession(session['id']);
		const entry = await this.addContextEntry(session['id'], args.contextType, args.content, {timestamp: new Date().toISOString(), ...args.metadata});
		await this.send('updateContext', 'UPDATE context_history SET content_size_bytes = $1 WHERE id = $2', [Buffer.byteLength(args.content, 'utf8'), entry['id']]);
		return {ok: true, entry};
	}

	/** requestHandoff: only an 'active' session; full context and summary (reads), updateSession (agent_to,
	 * status 'completed' for a full handoff else 'active', last_activity_at, metadata), reactivate when dormant,
	 * a 'system' context entry, and the 'handoff' performance row with the session's id. It writes no
	 * handoff_requests row. */
	async requestHandoff(args: HandoffArgs): Promise<{ok: true} | {ok: false; reason: string}> {
		return this.tool('requestHandoff', args.sessionKey, () => this.requestHandoffTool(args));
	}

	private async requestHandoffTool(args: HandoffArgs): Promise<{ok: true} | {ok: false; reason: string}> {
		const requestType = args.requestType ?? 'context_transfer';
		const started = Date.now();
		const session = await this.getSession(args.sessionKey);
		if (!session) return {ok: false, reason: 'Session not found'};
		if (session['status'] !== 'active') return {ok: false, reason: 'Session is not active'};
		const full = await this.getFullContext(args.sessionKey);
		if (!full) return {ok: false, reason: 'Failed to retrieve context for session'};
		const summary = await this.createHandoffSummary(args.sessionKey);
		await this.updateSession(args.sessionKey, {
			agentTo: args.targetAgent,
			status: requestType === 'full_handoff' ? 'completed' : 'active',
			lastActivityAt: new Date(),
			metadata: {...session['metadata'], lastHandoffRequest: new Date().toISOString(), requestType, targetAgent: args.targetAgent},
		});
		if (session['is_dormant']) await this.reactivateSession(session['id']);
		await this.addContextEntry(session['id'], 'system', `Handoff requested to agent: ${args.targetAgent}`, {
			action: 'handoff_requested',
			requestType,
			targetAgent: args.targetAgent,
			contextSummary: summary,
			totalContextEntries: full.history.length,
			...args.requestData,
		});
		await this.recordHandoffMetrics(session['id'], {
			agentFrom: session['agent_from'],
			agentTo: args.targetAgent,
			durationMs: Math.max(1, Date.now() - started),
			success: true,
			contextSize: JSON.stringify(full.history).length,
		});
		return {ok: true};
	}
}
