import {buildSchemaBundle} from '../db/schemaBundle.js';
import {CliError, exitCodes} from '../exitCodes.js';
import type {CommandInput} from '../cli.js';

export async function run({args}: CommandInput): Promise<number> {
	if (args.length > 0) throw new CliError(`schema takes no arguments (got '${args.join(' ')}')`, exitCodes.usage);
	process.stdout.write(buildSchemaBundle());
	return exitCodes.ok;
}
