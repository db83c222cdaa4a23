// Reading the flags cli.ts parsed, with the checks each command needs.
import {CliError, exitCodes} from '../exitCodes.js';

export function stringFlag(flags: Record<string, unknown>, name: string): string | undefined {
	const value = flags[name];
	return typeof value === 'string' ? value : undefined;
}

export function positiveIntegerFlag(flags: Record<string, unknown>, name: string, option: string): number | undefined {
	const value = flags[name];
	if (value === undefined) return undefined;
	if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
		throw new CliError(`${option} needs a whole number of at least 1`, exitCodes.usage);
	}

	return value;
}

export function noArguments(command: string, args: string[]): void {
	if (args.length > 0) throw new CliError(`${command} takes no arguments (got '${args.join(' ')}')`, exitCodes.usage);
}
