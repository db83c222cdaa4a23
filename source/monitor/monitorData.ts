// What the monitor's screens ask for, by name. Each answer comes from one
// query module (source/queries) run on the monitor's resilient connection;
// the UI never sees SQL or a client.
import type {MonitorDatabase} from './monitorDatabase.js';
import * as queries from '../queries/index.js';
import type {SessionSort, SessionsPageParams} from '../queries/sessions.js';
import type {ChartWindow} from '../queries/common.js';
import {validateDatabase} from '../db/validation/validate.js';
import {storagePanel} from '../queries/storage.js';
import {HealthTracker} from '../queries/health.js';

export function createMonitorData(db: MonitorDatabase) {
	const counts = new queries.EventCountsTracker();
	const health = new HealthTracker();
	// The header's first answers, asked before the UI has loaded, so the first frame can show them.
	type Health = Awaited<ReturnType<HealthTracker['next']>>;
	const firstAnswers: {counts?: queries.EventCounts | undefined; health?: Health | undefined} = {};
	let primed: Promise<void> = Promise.resolve();

	const data = {
		sessionsPage: async (params: SessionsPageParams) => db.run(async client => queries.sessionsPage(client, params)),
		sessionPosition: async (params: {id: string; sort: SessionSort; status?: string | undefined}) => db.run(async client => queries.sessionPosition(client, params)),
		sessionDetail: async (id: string) => db.run(async client => queries.sessionDetail(client, id, {timelineLimit: 50, logLimit: 10})),
		dormantSessions: async (params: {limit: number}) => db.run(async client => queries.dormantSessions(client, params)),
		performanceTable: async (params: {threshold: number}) => db.run(async client => queries.performanceTable(client, params)),
		latencySeries: async (params: {window: ChartWindow; points: number}) => db.run(async client => queries.latencySeries(client, params)),
		metricsLatest: async () => db.run(async client => queries.metricsLatest(client)),
		metricSeries: async (params: {name: string; labels?: Record<string, unknown>; window: ChartWindow; points: number}) =>
			db.run(async client => queries.metricSeries(client, params)),
		// read incrementally; after a failure (the connection may come back to another server) from scratch
		eventCounts: async (params: {sinceMinutes: number}) =>
			db.run(async client => counts.next(client, params)).catch((error: unknown) => {
				counts.reset();
				throw error;
			}),
		// transactions per second between this read and the previous one; after a failure from scratch
		databaseHealth: async () =>
			db.run(async client => health.next(client)).catch((error: unknown) => {
				health.reset();
				throw error;
			}),
		schemaState: async () => db.run(async client => queries.schemaState(client)),
		validate: async () => db.run(async client => validateDatabase(client)),
		storage: async (params: {limitBytes?: number | undefined}) => db.run(async client => storagePanel(client, params)),
		/** Ask the rates line's and the health line's first answers now (as soon as the connection is up). */
		prime(params: {sinceMinutes: number}) {
			primed = Promise.allSettled([
				data.eventCounts(params).then(answer => {
					firstAnswers.counts = answer;
				}),
				data.databaseHealth().then(answer => {
					firstAnswers.health = answer;
				}),
			]).then(() => {});
		},
		/** Resolves when the primed answers are in, or failed (a failure is for the polls to see). */
		async primed(): Promise<void> {
			return primed;
		},
		/** A primed answer, once: the poll that shows it starts from it and asks again on the next beat. */
		firstAnswer<K extends keyof typeof firstAnswers>(key: K): (typeof firstAnswers)[K] {
			const answer = firstAnswers[key];
			firstAnswers[key] = undefined;
			return answer;
		},
	};
	return data;
}

export type MonitorData = ReturnType<typeof createMonitorData>;
