// What the screens read from: named data queries, the live event source, the
// connection status and the actions. startMonitor provides the real ones;
// tests provide their own.
import {createContext, useContext, useSyncExternalStore} from 'react';
import type {FeedStatus} from '../feed/eventFeed.js';
import type {Actions} from '../monitor/actions.js';
import type {EventSource, Store} from '../monitor/eventHub.js';
import type {MonitorData} from '../monitor/monitorData.js';
import type {MonitorDatabaseStatus} from '../monitor/monitorDatabase.js';

export type ConnectionStatus = {
	database: MonitorDatabaseStatus & {at: number};
	feed: (FeedStatus & {at: number}) | undefined;
};

export type MonitorServices = {
	/** What the screens read (priming is the start-up's business, before the UI). */
	data: Omit<MonitorData, 'prime' | 'primed'>;
	events: EventSource;
	status: Store<ConnectionStatus>;
	actions: Actions;
	/** Whether the lossless event feed runs (it needs the current schema). */
	startFeed(): void;
	/** How often the feed reads on wake-ups: every eventBatchMs (250 ms) while the event list is on screen, at the
	 * refresh interval while it is not (the ring still fills, in fewer and larger reads). */
	paceFeed(wakeReadIntervalMs: number): void;
};

export const ServicesContext = createContext<MonitorServices | undefined>(undefined);

export function useServices(): MonitorServices {
	const services = useContext(ServicesContext);
	if (!services) throw new Error('useServices outside <ServicesContext>');
	return services;
}

export function useConnectionStatus(): ConnectionStatus {
	const {status} = useServices();
	return useSyncExternalStore(status.subscribe, status.get, status.get);
}

/** What the App lets screens do: prompts, confirmations, messages. */
export type Ui = {
	interval: number;
	threshold: number;
	/** Asks for a line of text in the footer; `onChange` sees every edit. */
	prompt(options: {label: string; initial: string; onChange?(text: string): void; onSubmit(text: string): void}): void;
	/** Runs an action through the one guard: refused without --write, else y/n first. */
	requestAction(action: import('../monitor/actions.js').ActionRequest, after?: () => void): void;
	/** Open a session's detail from any screen. */
	openSession(id: string): void;
	/** The detail was closed: back to the screen that opened it. */
	sessionClosed(): void;
	/** Progress lines of the action running now (or of the last one). */
	activity: string[];
	/** Screen state kept across screen switches. */
	memory: Map<string, unknown>;
};

export const UiContext = createContext<Ui | undefined>(undefined);

export function useUi(): Ui {
	const ui = useContext(UiContext);
	if (!ui) throw new Error('useUi outside <UiContext>');
	return ui;
}
