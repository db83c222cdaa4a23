import {Box} from 'ink';
import {Text} from './Text.js';
import {hintFor, type Scope} from '../keymap.js';
import {inert} from '../../text/inert.js';
import {cell} from '../format.js';
import {useTheme} from '../theme.js';

export type FooterContent =
	| {kind: 'hint'; scopes: Scope[]}
	| {kind: 'prompt'; label: string; text: string}
	| {kind: 'confirm'; question: string}
	| {kind: 'message'; text: string; tone: 'info' | 'error'};

/** The bottom line: the screen's main keys, or the prompt, question or message of the moment. */
export function Footer(props: {content: FooterContent; width: number}) {
	const theme = useTheme();
	const {content} = props;
	let body;
	switch (content.kind) {
		case 'hint':
			body = (
				<Text wrap="truncate">
					{[...hintFor(content.scopes), ...hintFor(['global'])].map(({key, label}) => (
						<Text key={`${key}${label}`}>
							<Text bold>{key}</Text>
							<Text dimColor> {label}  </Text>
						</Text>
					))}
				</Text>
			);
			break;
		case 'prompt':
			body = (
				<Text wrap="truncate">
					<Text bold>{content.label}</Text> {content.text}
					<Text inverse> </Text>
					<Text dimColor>  Enter apply · Esc cancel</Text>
				</Text>
			);
			break;
		case 'confirm': {
			// the question names a session: measured once inert
			const question = inert(content.question);
			body = (
				<Text wrap="truncate" bold color={theme.colour('red')}>
					{question.length > props.width - 7 ? cell(question, props.width - 7) : question} [y/n]
				</Text>
			);
			break;
		}

		case 'message':
			body = (
				<Text wrap="truncate" bold={content.tone === 'error'} color={content.tone === 'error' ? theme.colour('red') : undefined}>
					{content.text}
				</Text>
			);
			break;
	}

	return (
		<Box width={props.width} height={1} overflow="hidden">
			{body}
		</Box>
	);
}
