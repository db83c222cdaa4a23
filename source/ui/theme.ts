// Colour and symbols in one place. Colours are the 16 basic ones (readable on
// dark and light backgrounds, fine on 16-colour terminals); every event type
// also has a symbol, so it reads the same without colour.
import {createContext, useContext} from 'react';

export type EventType = 'created' | 'expired' | 'archived' | 'dormant' | 'reactivated' | 'status_changed';
type Colour = 'green' | 'red' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'yellow';

export const eventStyle: Record<EventType, {symbol: string; label: string; colour: Colour}> = {
	created: {symbol: '+', label: 'created', colour: 'green'},
	status_changed: {symbol: '~', label: 'status', colour: 'blue'},
	dormant: {symbol: 'z', label: 'dormant', colour: 'magenta'},
	reactivated: {symbol: '^', label: 'reactivated', colour: 'cyan'},
	expired: {symbol: 'x', label: 'expired', colour: 'red'},
	archived: {symbol: '#', label: 'archived', colour: 'gray'},
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
