// Shared by the query modules: event types, chart windows.
// The spec's six event types (readers take any other too: eventTypeSchema).
export {specEventTypes as lifecycleEventTypes} from '../feed/eventFeed.js';

export const chartWindows = {'1h': '1 hour', '6h': '6 hours', '24h': '24 hours'} as const;
export type ChartWindow = keyof typeof chartWindows;
export const chartWindowNames = Object.keys(chartWindows) as ChartWindow[];
