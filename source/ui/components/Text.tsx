// Ink's <Text>, with every string child made inert (source/text/inert.ts)
// before Ink measures, wraps or truncates it: a session key, agent, status,
// metric label or server message from the database cannot act on the
// terminal. Every screen and component imports Text from here, never from
// 'ink' (a test checks).
import {Text as InkText, type TextProps} from 'ink';
import {createElement, type ReactNode} from 'react';
import {inert} from '../../text/inert.js';

function inertChild(node: ReactNode): ReactNode {
	if (typeof node === 'string') return inert(node);
	if (Array.isArray(node)) return node.map(inertChild);
	return node; // elements (nested Texts sanitize their own), numbers, null
}

export function Text({children, 'aria-label': label, ...props}: TextProps) {
	const safe = {...props, ...(label === undefined ? {} : {'aria-label': inert(label)})};
	// Spread as arguments: the children stay static, as written in JSX (no key warnings).
	return Array.isArray(children) ? createElement(InkText, safe, ...children.map(inertChild)) : createElement(InkText, safe, inertChild(children));
}
