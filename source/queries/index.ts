// Every query the monitor runs, by what it answers. Each takes a pg client
// (from MonitorDatabase.run) and returns typed rows validated with zod.
export {sessionsPage, sessionDetail, sessionPosition, sessionSorts, type SessionRow, type SessionDetail, type SessionSort} from './sessions.js';
export {dormantSessions, type DormantRow} from './dormant.js';
export {performanceTable, latencySeries, type PerformanceRow, type LatencySeries} from './performance.js';
export {metricsLatest, metricSeries, type MetricLatest, type MetricSeries} from './metrics.js';
export {EventCountsTracker, eventCounts, headerEventMinutes, recentEvents, type EventCounts} from './events.js';
export {schemaState, type SchemaState} from './schema.js';
export {chartWindowNames, lifecycleEventTypes, type ChartWindow} from './common.js';
