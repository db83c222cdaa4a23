// The one place that decides what is on screen: which screen, help, the
// prompt or question in the footer, and the too-small notice. Screens fetch
// their own data through hooks and handle their own keys (scoped by the
// keymap); global keys are matched here.
import {Box, type Key, useApp} from 'ink';
import {useCallback, useEffect, useMemo, useRef, useState} from 'react';
import type {ActionRequest} from '../monitor/actions.js';
import {findScreen, screenNames, type ChartWindow, type ScreenName} from '../monitor/monitorOptions.js';
import {headerEventMinutes} from '../queries/events.js';
import {Footer, type FooterContent} from './components/Footer.js';
import {HealthLine} from './components/HealthLine.js';
import {Help} from './components/Help.js';
import {RatesBar} from './components/RatesBar.js';
import {StatusLine} from './components/StatusLine.js';
import {TitleBar} from './components/TitleBar.js';
import {minimumSize, TooSmall} from './components/TooSmall.js';
import {type Ui, UiContext, useConnectionStatus, useServices} from './context.js';
import {feedLagOf} from '../queries/health.js';
import {useAlarm} from './hooks/useAlarm.js';
import {eventBatchMs, useEventBuffer} from './hooks/useEventBuffer.js';
import {createKeyRouter, KeyRouterContext, useKeymap, useRawInput} from './hooks/useKeymap.js';
import {usePoll} from './hooks/usePoll.js';
import {useTerminalSize} from './hooks/useTerminalSize.js';
import type {Scope} from './keymap.js';
import {Dormant} from './screens/Dormant.js';
import {eventCapacity, LiveEvents} from './screens/LiveEvents.js';
import {Metrics} from './screens/Metrics.js';
import {Performance} from './screens/Performance.js';
import {Schema} from './screens/Schema.js';
import {Sessions} from './screens/Sessions.js';
import {Storage} from './screens/Storage.js';

export const intervalSteps = [500, 1000, 2000, 5000, 10_000, 30_000, 60_000];

export type AppProps = {
	initialScreen: ScreenName;
	intervalMs: number;
	write: boolean;
	threshold: number;
	window: ChartWindow;
	/** The terminal bell at an alarm's onset (--no-bell: false). */
	bell?: boolean;
	/** --storage-limit in bytes, for the Storage screen. */
	storageLimit?: number | undefined;
	/** The first connection's verdict on the schema; when not current the monitor moves to the Schema screen and says why. */
	schema?: {current: boolean; summary: string};
	onQuit?: () => void;
};

type PromptState = {label: string; text: string; initial: string; onChange?(text: string): void; onSubmit(text: string): void};

type Modal =
	| {kind: 'help'}
	| ({kind: 'prompt'} & PromptState)
	| {kind: 'confirm'; question: string; onYes(): void}
	| undefined;

/** Header lines above the screen (title, rates, health, status) and the footer line below it. */
const chrome = 5;

export function App(props: AppProps) {
	const {exit} = useApp();
	const {columns, rows} = useTerminalSize();
	const services = useServices();
	const status = useConnectionStatus();
	const [screen, setScreen] = useState<ScreenName>(props.initialScreen);
	const [intervalMs, setIntervalMs] = useState(props.intervalMs);
	const [modal, setModal] = useState<Modal>(undefined);
	const [message, setMessage] = useState<{text: string; tone: 'info' | 'error'} | undefined>(undefined);
	const schemaCurrent = props.schema?.current;
	const schemaSummary = props.schema?.summary;
	useEffect(() => {
		if (schemaCurrent !== false || schemaSummary === undefined) return;
		setScreen('schema');
		setMessage({text: schemaSummary, tone: 'error'});
	}, [schemaCurrent, schemaSummary]);
	const [activity, setActivity] = useState<string[]>([]);
	const [paused, setPaused] = useState(false);
	// Under a steady stream the list moves on with the refresh interval (at most every 2 s); see useEventBuffer.
	const eventsOnScreen = screen === 'events' && modal?.kind !== 'help';
	const eventView = useEventBuffer(services.events, {capacity: eventCapacity, paused, visible: eventsOnScreen, flushMs: Math.min(intervalMs, 2000)});
	// The feed reads no more often than the list can show what it reads: on Live events every eventBatchMs (the first
	// event after a quiet spell is read at once and shown that long after; a stream is shown on the beat), elsewhere
	// at the refresh interval (the ring stays complete; back on Live events the waiting read runs at once).
	const {paceFeed} = services;
	useEffect(() => paceFeed(eventsOnScreen ? eventBatchMs : Math.min(intervalMs, 2000)), [paceFeed, eventsOnScreen, intervalMs]);
	const memory = useRef(new Map<string, unknown>()).current;
	const counts = usePoll(async () => services.data.eventCounts({sinceMinutes: headerEventMinutes}), 'counts', Math.max(intervalMs, 2000), true, () => services.data.firstAnswer('counts'));
	const tooSmall = columns < minimumSize.columns || rows < minimumSize.rows;
	const feedLag = feedLagOf(status.feed);
	// one poll of the performance table, for the alarm on every screen and for the Perf screen
	const performance = usePoll(async () => services.data.performanceTable({threshold: props.threshold}), String(props.threshold), intervalMs);
	const alarm = useAlarm({rows: performance.data, threshold: props.threshold, feedLagMs: typeof feedLag === 'number' ? feedLag : undefined, bell: props.bell ?? true});

	useEffect(() => {
		if (!message) return;
		const timer = setTimeout(() => setMessage(undefined), message.tone === 'error' ? 8000 : 5000);
		return () => clearTimeout(timer);
	}, [message]);

	const quit = useCallback(() => {
		props.onQuit?.();
		exit();
	}, [exit, props.onQuit]);

	// One reader of the keyboard; an open prompt takes every key press, even the rest of the read that opened it.
	const router = useRef(createKeyRouter()).current;
	const promptState = useRef<PromptState | undefined>(undefined);
	const quitRef = useRef(quit);
	quitRef.current = quit;
	const promptKey = useCallback((input: string, key: Key) => {
		const current = promptState.current;
		if (!current) return;
		const close = () => {
			promptState.current = undefined;
			router.capture = undefined;
			setModal(undefined);
		};
		const edit = (text: string) => {
			promptState.current = {...current, text};
			setModal({kind: 'prompt', ...current, text});
			current.onChange?.(text);
		};
		if (key.return) {
			close();
			current.onSubmit(current.text);
		} else if (key.escape) {
			close();
			current.onChange?.(current.initial);
		} else if (key.backspace || key.delete) {
			edit(current.text.slice(0, -1));
		} else if (key.ctrl && input === 'c') {
			quitRef.current();
		} else if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) {
			// printable characters only: a control character never lands in the text
			// eslint-disable-next-line no-control-regex
			const printable = input.replaceAll(/[\u0000-\u001F\u007F-\u009F]/g, '');
			if (printable) edit(`${current.text}${printable}`.slice(0, 60));
		}
	}, [router]);
	const prompt = useCallback<Ui['prompt']>(options => {
		promptState.current = {label: options.label, text: options.initial, initial: options.initial, onChange: options.onChange, onSubmit: options.onSubmit};
		router.capture = promptKey;
		setModal({kind: 'prompt', ...promptState.current});
	}, [router, promptKey]);
	useRawInput(router.dispatch, true);

	const requestAction = useCallback<Ui['requestAction']>(
		(action: ActionRequest, after?: () => void) => {
			const verdict = services.actions.check(action);
			if (!verdict.allowed) {
				setMessage({text: verdict.reason, tone: 'error'});
				return;
			}

			setModal({
				kind: 'confirm',
				question: verdict.question,
				onYes() {
					setActivity([]);
					setMessage({text: 'working…', tone: 'info'});
					services.actions
						.perform(action, line => {
							setActivity(lines => [...lines.slice(-3), line]);
							setMessage({text: line, tone: 'info'});
						})
						.then(summary => {
							setActivity(lines => [...lines.slice(-3), summary]);
							setMessage({text: summary, tone: 'info'});
						})
						.catch((error: unknown) => {
							const text = `failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
							setActivity(lines => [...lines.slice(-3), text]);
							setMessage({text, tone: 'error'});
						})
						.finally(() => after?.());
				},
			});
		},
		[services.actions],
	);

	const ui = useMemo<Ui>(
		() => ({
			interval: intervalMs,
			threshold: props.threshold,
			prompt,
			requestAction,
			openSession(id) {
				memory.set('sessions.detail', id);
				memory.set('sessions.detailReturn', screen === 'sessions' ? undefined : screen);
				setScreen('sessions');
			},
			sessionClosed() {
				const back = memory.get('sessions.detailReturn') as ScreenName | undefined;
				memory.delete('sessions.detailReturn');
				if (back) setScreen(back);
			},
			activity,
			memory,
		}),
		[intervalMs, props.threshold, prompt, requestAction, activity, memory, screen],
	);

	const step = (direction: 1 | -1) => {
		const index = intervalSteps.findIndex(s => s >= intervalMs);
		const at = index === -1 ? intervalSteps.length - 1 : index;
		const next = intervalSteps[Math.max(0, Math.min(intervalSteps.length - 1, at + direction))]!;
		setIntervalMs(next);
		setMessage({text: `refreshing every ${next / 1000}s`, tone: 'info'});
	};

	const cycle = (direction: 1 | -1) => {
		const index = screenNames.indexOf(screen);
		setScreen(screenNames[(index + direction + screenNames.length) % screenNames.length]!);
	};

	useKeymap(
		['global'],
		{
			quit,
			help: () => setModal({kind: 'help'}),
			...Object.fromEntries(screenNames.map((name, index) => [`screen${index + 1}`, () => setScreen(name)])),
			nextScreen: () => cycle(1),
			previousScreen: () => cycle(-1),
			command: () =>
				prompt({
					label: ':',
					initial: '',
					onSubmit(text) {
						if (['q', 'q!', 'quit'].includes(text.trim())) {
							quit();
							return;
						}

						const found = findScreen(text);
						if (found) setScreen(found);
						else setMessage({text: `no screen named '${text}' (events, sessions, dormant, performance, metrics, schema)`, tone: 'error'});
					},
				}),
			faster: () => step(-1),
			slower: () => step(1),
		},
		!tooSmall && modal === undefined,
		router,
	);
	useKeymap(['help'], {close: () => setModal(undefined)}, !tooSmall && modal?.kind === 'help', router);
	useKeymap(
		['confirm'],
		{
			yes() {
				if (modal?.kind !== 'confirm') return;
				setModal(undefined);
				modal.onYes();
			},
			no() {
				setModal(undefined);
				setMessage({text: 'cancelled', tone: 'info'});
			},
		},
		!tooSmall && modal?.kind === 'confirm',
		router,
	);
	useKeymap(['tooSmall'], {quit}, tooSmall, router);

	if (tooSmall) return <TooSmall columns={columns} rows={rows} />;

	const bodyHeight = rows - 1 - chrome;
	const screenProps = {width: columns, height: bodyHeight, active: modal === undefined};
	const screenScopes: Record<ScreenName, Scope[]> = {
		events: ['events'],
		sessions: memory.get('sessions.detail') ? ['sessionDetail'] : ['sessions'],
		dormant: ['dormant'],
		performance: ['performance'],
		metrics: ['metrics'],
		schema: ['schema'],
		storage: ['storage'],
	};
	const footer: FooterContent =
		modal?.kind === 'prompt'
			? {kind: 'prompt', label: modal.label, text: modal.text}
			: modal?.kind === 'confirm'
				? {kind: 'confirm', question: modal.question}
				: message
					? {kind: 'message', ...message}
					: {kind: 'hint', scopes: screenScopes[screen]};
	return (
		<KeyRouterContext.Provider value={router}>
			<UiContext.Provider value={ui}>
				<Box flexDirection="column" width={columns} height={rows - 1} overflow="hidden">
					<TitleBar screen={screen} intervalMs={intervalMs} write={props.write} width={columns} alarm={alarm !== undefined} />
					<RatesBar counts={counts.data} stale={counts.error !== undefined && counts.data !== undefined} width={columns} />
					<HealthLine width={columns} intervalMs={intervalMs} feedLag={feedLag} />
					<StatusLine status={status} width={columns} schemaCurrent={schemaCurrent} alarm={alarm} />
					<Box flexDirection="column" height={bodyHeight} overflow="hidden">
						{modal?.kind === 'help' ? (
							<Help scopes={[...screenScopes[screen], ...(screen === 'sessions' && memory.get('sessions.detail') ? [] : (['list'] as Scope[]))]} width={columns} height={bodyHeight} />
						) : screen === 'events' ? (
							<LiveEvents {...screenProps} view={eventView} paused={paused} setPaused={setPaused} />
						) : screen === 'sessions' ? (
							<Sessions {...screenProps} />
						) : screen === 'dormant' ? (
							<Dormant {...screenProps} />
						) : screen === 'performance' ? (
							<Performance {...screenProps} defaultWindow={props.window} table={performance} />
						) : screen === 'metrics' ? (
							<Metrics {...screenProps} defaultWindow={props.window} />
						) : screen === 'storage' ? (
							<Storage {...screenProps} limitBytes={props.storageLimit} />
						) : (
							<Schema {...screenProps} />
						)}
					</Box>
					<Footer content={footer} width={columns} />
				</Box>
			</UiContext.Provider>
		</KeyRouterContext.Provider>
	);
}
