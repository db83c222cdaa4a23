// The command line: flags are parsed and checked here, before any command's
// code (and before Ink or React) is loaded, so --help, --version and usage
// errors answer at once. Each command lives in source/commands/<name>.ts.
import meow from 'meow';
import {CliError, exitCodes} from './exitCodes.js';

const help = `
  Usage
    $ handoff-top [command] [options]

  Commands
    schema        Print the complete schema as one SQL file (for psql -f)

  Options
    --help        Show this help
    --version     Show the version

  Exit codes
    0 ok · 1 failure · 2 usage · 3 cannot connect · 4 drift found
    5 could not check · 6 schema missing or outdated · 7 missing privilege
    8 migration blocked · 130 interrupted
`;

type CommandModule = {run(input: CommandInput): Promise<number>};
export type CommandInput = {args: string[]; flags: Record<string, unknown>};

const commands: Record<string, () => Promise<CommandModule>> = {
	schema: async () => import('./commands/schema.js'),
};

function fail(error: unknown): number {
	if (error instanceof CliError) {
		process.stderr.write(`handoff-top: ${error.message}\n`);
		return error.exitCode;
	}

	const message = error instanceof Error ? error.message : String(error);
	process.stderr.write(`handoff-top: ${message.split('\n')[0]}\n`);
	if (process.env['HANDOFF_TOP_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
	return exitCodes.failure;
}

export async function main(argv: string[]): Promise<void> {
	const cli = meow(help, {
		importMeta: import.meta,
		argv,
		allowUnknownFlags: false,
		// Every command's flags, declared once; each command checks the ones it uses.
		flags: {
			dsn: {type: 'string'},
			json: {type: 'boolean'},
			dryRun: {type: 'boolean'},
			write: {type: 'boolean'},
			interval: {type: 'number'},
			color: {type: 'boolean', default: true},
			since: {type: 'string'},
			backup: {type: 'string'},
			backupDir: {type: 'string'},
			createMonitorRole: {type: 'string'},
			monitorPassword: {type: 'string'},
			threshold: {type: 'number'},
			window: {type: 'string'},
			rate: {type: 'number'},
			duration: {type: 'number'},
			keep: {type: 'boolean'},
			wait: {type: 'boolean'},
			limit: {type: 'number'},
			screen: {type: 'string'},
		},
	});
	const [name, ...args] = cli.input;
	let code: number;
	try {
		if (name === undefined) {
			cli.showHelp(exitCodes.ok);
			return;
		}

		const load = commands[name];
		if (!load) throw new CliError(`unknown command '${name}' (see handoff-top --help)`, exitCodes.usage);
		const command = await load();
		code = await command.run({args, flags: cli.flags});
	} catch (error) {
		code = fail(error);
	}

	process.exitCode = code;
}
