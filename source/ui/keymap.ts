// Every key binding of the monitor, declared once. useKeymap matches keys
// against this table (and nowhere else); the help screen and each screen's hint
// line are generated from it.
import type {Key} from 'ink';
import type {ScreenName} from '../monitor/monitorOptions.js';

export type Scope = 'global' | 'list' | ScreenName | 'sessionDetail' | 'prompt' | 'confirm' | 'help' | 'tooSmall';

export type Binding = {
	scope: Scope;
	action: string;
	keys: string[];
	/** What the help screen says. */
	help: string;
	/** Shown on the screen's one-line hint, with this label. */
	hint?: string;
};

export const keymap: Binding[] = [
	{scope: 'global', action: 'quit', keys: ['q', 'ctrl+c'], help: 'quit', hint: 'quit'},
	{scope: 'global', action: 'help', keys: ['?', 'h'], help: 'help (Esc closes)', hint: 'help'},
	{scope: 'global', action: 'screen1', keys: ['1'], help: 'live events'},
	{scope: 'global', action: 'screen2', keys: ['2'], help: 'sessions'},
	{scope: 'global', action: 'screen3', keys: ['3'], help: 'dormant sessions'},
	{scope: 'global', action: 'screen4', keys: ['4'], help: 'performance'},
	{scope: 'global', action: 'screen5', keys: ['5'], help: 'metrics'},
	{scope: 'global', action: 'screen6', keys: ['6'], help: 'schema'},
	{scope: 'global', action: 'screen7', keys: ['7'], help: 'storage'},
	{scope: 'global', action: 'nextScreen', keys: ['tab'], help: 'next screen'},
	{scope: 'global', action: 'previousScreen', keys: ['shift+tab'], help: 'previous screen'},
	{scope: 'global', action: 'command', keys: [':'], help: 'go to a screen by name (:sessions, :perf …; :q quits)'},
	// as pg_activity: + makes the refresh time longer, - shorter
	{scope: 'global', action: 'slower', keys: ['+', '='], help: 'refresh less often'},
	{scope: 'global', action: 'faster', keys: ['-'], help: 'refresh more often'},

	// Lists: the screens that show one add this scope.
	{scope: 'list', action: 'up', keys: ['up', 'k'], help: 'move up'},
	{scope: 'list', action: 'down', keys: ['down', 'j'], help: 'move down'},
	{scope: 'list', action: 'pageUp', keys: ['pageup', 'ctrl+b'], help: 'page up'},
	{scope: 'list', action: 'pageDown', keys: ['pagedown', 'ctrl+f'], help: 'page down'},
	{scope: 'list', action: 'top', keys: ['home', 'g'], help: 'first row'},
	{scope: 'list', action: 'bottom', keys: ['end', 'G'], help: 'last row'},

	{scope: 'events', action: 'filter', keys: ['/'], help: 'filter by event type, session key or agent', hint: 'filter'},
	{scope: 'events', action: 'pause', keys: ['space'], help: 'pause / resume (events keep arriving; moving down the list pauses)', hint: 'pause'},
	{scope: 'events', action: 'open', keys: ['return'], help: "open the selected event's session", hint: 'open'},
	{scope: 'events', action: 'clearFilter', keys: ['escape'], help: 'clear the filter'},

	{scope: 'sessions', action: 'open', keys: ['return'], help: 'open the session', hint: 'open'},
	{scope: 'sessions', action: 'sort', keys: ['s'], help: 'sort: last activity, created, context entries, handoffs', hint: 'sort'},
	{scope: 'sessions', action: 'filter', keys: ['/'], help: 'filter by status', hint: 'status'},
	{scope: 'sessions', action: 'cycleStatus', keys: ['f'], help: 'next status filter'},
	{scope: 'sessions', action: 'clearFilter', keys: ['escape'], help: 'clear the status filter'},

	{scope: 'sessionDetail', action: 'close', keys: ['escape', 'backspace'], help: 'back to the list', hint: 'back'},
	{scope: 'sessionDetail', action: 'archive', keys: ['a'], help: 'archive the session (--write)', hint: 'archive'},
	{scope: 'sessionDetail', action: 'reactivate', keys: ['r'], help: 'reactivate the session (--write)', hint: 'reactivate'},

	{scope: 'dormant', action: 'open', keys: ['return'], help: 'open the session', hint: 'open'},
	{scope: 'dormant', action: 'reactivate', keys: ['r'], help: 'reactivate the selected session (--write)', hint: 'reactivate'},
	{scope: 'dormant', action: 'archive', keys: ['a'], help: 'archive the selected session (--write)', hint: 'archive'},
	{scope: 'dormant', action: 'sweep', keys: ['x'], help: 'run the lifecycle sweep now (--write)', hint: 'sweep'},

	{scope: 'performance', action: 'window', keys: ['w'], help: 'chart window: 1h, 6h, 24h', hint: 'window'},

	{scope: 'metrics', action: 'window', keys: ['w'], help: 'chart window: 1h, 6h, 24h', hint: 'window'},

	{scope: 'schema', action: 'migrate', keys: ['m'], help: 'apply pending migrations (--write)', hint: 'migrate'},
	{scope: 'schema', action: 'validate', keys: ['v'], help: 'validate the schema again', hint: 'validate'},

	{scope: 'prompt', action: 'submit', keys: ['return'], help: 'apply'},
	{scope: 'prompt', action: 'cancel', keys: ['escape'], help: 'cancel'},
	{scope: 'confirm', action: 'yes', keys: ['y', 'Y'], help: 'yes'},
	{scope: 'confirm', action: 'no', keys: ['n', 'N', 'escape'], help: 'no'},
	{scope: 'help', action: 'close', keys: ['escape', '?', 'h', 'q'], help: 'close help'},
	{scope: 'tooSmall', action: 'quit', keys: ['q', 'ctrl+c'], help: 'quit'},
];

const special: Array<[keyof Key, string]> = [
	['upArrow', 'up'],
	['downArrow', 'down'],
	['leftArrow', 'left'],
	['rightArrow', 'right'],
	['pageUp', 'pageup'],
	['pageDown', 'pagedown'],
	['home', 'home'],
	['end', 'end'],
	['return', 'return'],
	['escape', 'escape'],
	['tab', 'tab'],
	['backspace', 'backspace'],
	['delete', 'delete'],
];

/** The keymap's name for a key press: 'q', 'G', 'ctrl+c', 'shift+tab', 'space'. */
export function keyName(input: string, key: Key): string {
	for (const [flag, name] of special) {
		if (key[flag]) return flag === 'tab' && key.shift ? 'shift+tab' : name;
	}

	if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
	if (input === ' ') return 'space';
	return input;
}

/** The action bound to a key in the first of the scopes that binds it. */
export function match(scopes: readonly Scope[], input: string, key: Key): string | undefined {
	const name = keyName(input, key);
	for (const scope of scopes) {
		const binding = keymap.find(b => b.scope === scope && b.keys.includes(name));
		if (binding) return binding.action;
	}

	return undefined;
}

export function bindings(scope: Scope): Binding[] {
	return keymap.filter(b => b.scope === scope);
}

const keyLabels: Record<string, string> = {
	return: 'Enter',
	escape: 'Esc',
	space: 'Space',
	tab: 'Tab',
	'shift+tab': 'S-Tab',
	up: '↑',
	down: '↓',
	pageup: 'PgUp',
	pagedown: 'PgDn',
	home: 'Home',
	end: 'End',
	backspace: 'Bksp',
	'ctrl+c': 'Ctrl-C',
	'ctrl+b': 'Ctrl-B',
	'ctrl+f': 'Ctrl-F',
};

export function keyLabel(name: string): string {
	return keyLabels[name] ?? name;
}

/** 'Space pause  / filter …' for a screen's hint line. */
export function hintFor(scopes: readonly Scope[]): Array<{key: string; label: string}> {
	return scopes.flatMap(scope =>
		bindings(scope)
			.filter(b => b.hint)
			.map(b => ({key: keyLabel(b.keys[0]!), label: b.hint!})),
	);
}
