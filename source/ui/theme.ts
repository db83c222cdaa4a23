// Colour and symbols in one place. Colours are the 16 basic ones (readable on
// dark and light backgrounds, fine on 16-colour terminals); every event type
// also has a symbol, so it reads the same without colour.
import {createContext, useContext} from 'react';
import {eventSymbols} from '../feed/eventText.js';

export type {LifecycleEventType as EventType} from '../feed/eventFeed.js';
import type {LifecycleEventType as EventType} from '../feed/eventFeed.js';
type Colour = 'green' | 'red' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'yellow';

// Symbols and colours are tail's too (source/feed/eventText.ts).
export const eventStyle: Record<EventType, {symbol: string; label: string; colour: Colour}> = {
	created: {symbol: eventSymbols.created, label: 'created', colour: 'green'},
	status_changed: {symbol: eventSymbols.status_changed, label: 'status', colour: 'cyan'},
	dormant: {symbol: eventSymbols.dormant, label: 'dormant', colour: 'magenta'},
	reactivated: {symbol: eventSymbols.reactivated, label: 'reactivated', colour: 'blue'},
	expired: {symbol: eventSymbols.expired, label: 'expired', colour: 'red'},
	archived: {symbol: eventSymbols.archived, label: 'archived', colour: 'gray'},
};

export const eventTypes = Object.keys(eventStyle) as EventType[];

export type Theme = {
	color: boolean;
	/** A colour prop when colour is on; nothing otherwise. */
	colour(name: Colour): Colour | undefined;
};

export function createTheme(color: boolean): Theme {
	return {color, colour: name => (color ? name : undefined)};
}

export const ThemeContext = createContext<Theme>(createTheme(true));
export const useTheme = () => useContext(ThemeContext);
