// Shared by the query modules: event types, chart windows.
export const lifecycleEventTypes = ['created', 'expired', 'archived', 'dormant', 'reactivated', 'status_changed'] as const;

export const chartWindows = {'1h': '1 hour', '6h': '6 hours', '24h': '24 hours'} as const;
export type ChartWindow = keyof typeof chartWindows;
export const chartWindowNames = Object.keys(chartWindows) as ChartWindow[];
