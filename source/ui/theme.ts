// Colour and symbols in one place. Colours are the 16 basic ones (readable on
// dark and light backgrounds, fine on 16-colour terminals); every event type
// also has a symbol, so it reads the same without colour. Types other than the
// spec's six show their own name with a neutral symbol and no colour.
import {createContext, useContext} from 'react';
import {isSpecEventType, type SpecEventType} from '../feed/eventFeed.js';
import {eventSymbols, otherEventSymbol} from '../feed/eventText.js';

export type {SpecEventType} from '../feed/eventFeed.js';
type Colour = 'green' | 'red' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'yellow';
type EventStyle = {symbol: string; label: string; colour?: Colour};

// Symbols and colours are tail's too (source/feed/eventText.ts).
export const eventStyle: Record<SpecEventType, Required<EventStyle>> = {
	created: {symbol: eventSymbols.created, label: 'created', colour: 'green'},
	status_changed: {symbol: eventSymbols.status_changed, label: 'status', colour: 'cyan'},
	dormant: {symbol: eventSymbols.dormant, label: 'dormant', colour: 'magenta'},
	reactivated: {symbol: eventSymbols.reactivated, label: 'reactivated', colour: 'blue'},
	expired: {symbol: eventSymbols.expired, label: 'expired', colour: 'red'},
	archived: {symbol: eventSymbols.archived, label: 'archived', colour: 'gray'},
};

/** The spec's six types, in the rates line's order. */
export const eventTypes: readonly SpecEventType[] = Object.keys(eventStyle) as SpecEventType[];

/** Any event type's look: a spec type's own, or its own name with the neutral symbol and no colour. */
export function styleOf(type: string): EventStyle {
	return isSpecEventType(type) ? eventStyle[type] : {symbol: otherEventSymbol, label: type};
}

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
