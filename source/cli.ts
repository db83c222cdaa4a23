// The command line: flags are parsed and checked here, before any command's
// code (and before Ink or React) is loaded, so --help, --version and usage
// errors answer at once. Each command lives in source/commands/<name>.ts.
import meow from 'meow';
import {CliError, exitCodes} from './exitCodes.js';
import {inert, inertLines} from './text/inert.js';
import {helpRequest, usageOf} from './usage.js';

const help = `
  Usage
    $ handoff-top [command] [options]

  Commands
    (none)        The interactive monitor (a snapshot when stdout is not a terminal):
                  --interval S (default 2, at least 0.5), --write allows archive,
                  reactivate, sweep and migrate from the UI, --no-color, --threshold %,
                  --no-bell (no terminal bell when an alarm starts),
                  --window 1h|6h|24h, --screen events|sessions|dormant|performance|metrics|schema|storage,
                  --since 10m|ISO time (Live events from then; else the newest events, then live),
                  --storage-limit 100GB (the Storage screen's days left)
    monitor       The same, by name
    schema        Print the complete schema as one SQL file (for psql -f)
    tail          Print lifecycle events as they happen, one per line (--json, --since 10m|ISO time)
    snapshot      Print every monitor panel once as text (--json: one JSON document;
                  --storage-limit 100GB: days until the database reaches it)
    demo          The monitor (with --write) on an embedded PostgreSQL and a simulated
                  handoff server (--rate ops/s, --duration s, --keep keeps the data, --interval)
    simulate      Simulate a busy handoff server against --dsn (--rate, --duration)
    setup         New installation: create the database if missing, apply every migration
                  (--create-monitor-role NAME [--monitor-password P] adds a read-only role)
    migrate       Migrate an existing database (--dry-run, --backup schema|full, --no-backup,
                  --backup-dir DIR, --no-wait exits 8 instead of waiting for another runner)
    validate      Compare the database with the expected schema (--json; exit 4 on drift)
    sweep         Run the lifecycle sweep and the log retention once (--dry-run,
                  --limit N sessions per action, --batch N rows per retention batch, --json)
    partition     Partition performance_logs and system_metrics by day, online (--dry-run
                  prints the plan, --ahead N daily partitions created ahead, default 3, --json)
    exporter      Serve Prometheus metrics at http://HOST:PORT/metrics (--listen HOST:PORT,
                  default 127.0.0.1:10280; --dsn repeatable, NAME=URL sets the database
                  label; --label NAME=VALUE repeatable; --state FILE keeps the counters
                  across restarts; --storage-limit 100GB: time until the database reaches it)

  Options
    --help        Show this help
    --version     Show the version
    --dsn URL     Connect to postgres://user:password@host:port/database
                  (else DATABASE_URL, else PGHOST, PGPORT, PGUSER, PGDATABASE, ~/.pgpass)

  Exit codes
    0 ok · 1 failure · 2 usage · 3 cannot connect · 4 drift found
    5 could not check · 6 schema missing or outdated · 7 missing privilege
    8 migration blocked · 130 interrupted
`;

// Every command's flags, declared once; each command checks the ones it uses.
const flags = {
	dsn: {type: 'string', isMultiple: true},
	label: {type: 'string', isMultiple: true},
	listen: {type: 'string'},
	state: {type: 'string'},
	json: {type: 'boolean'},
	dryRun: {type: 'boolean'},
	write: {type: 'boolean'},
	interval: {type: 'number'},
	color: {type: 'boolean', default: true},
	bell: {type: 'boolean', default: true},
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
	wait: {type: 'boolean', default: true},
	limit: {type: 'number'},
	batch: {type: 'number'},
	ahead: {type: 'number'},
	storageLimit: {type: 'string'},
	screen: {type: 'string'},
} as const;

type CommandModule = {run(input: CommandInput): Promise<number>};
export type CommandInput = {args: string[]; flags: Record<string, unknown>};

const commands: Record<string, () => Promise<CommandModule>> = {
	monitor: async () => import('./commands/monitor.js'),
	schema: async () => import('./commands/schema.js'),
	tail: async () => import('./commands/tail.js'),
	snapshot: async () => import('./commands/snapshot.js'),
	demo: async () => import('./commands/demo.js'),
	simulate: async () => import('./commands/simulate.js'),
	setup: async () => import('./commands/setup.js'),
	migrate: async () => import('./commands/migrate.js'),
	validate: async () => import('./commands/validate.js'),
	sweep: async () => import('./commands/sweep.js'),
	exporter: async () => import('./commands/exporter.js'),
	partition: async () => import('./commands/partition.js'),
};

/** Repeatable flags: only the exporter takes several; for every other command one value, as a string. */
function singleValues(name: string | undefined, flags: Record<string, unknown>): Record<string, unknown> {
	if (name === 'exporter') return flags;
	const result = {...flags};
	for (const flag of ['dsn', 'label'] as const) {
		const values = flags[flag];
		if (!Array.isArray(values)) continue;
		if (values.length > 1) throw new CliError(`--${flag} given more than once (only the exporter takes several)`, exitCodes.usage);
		result[flag] = values[0];
	}

	return result;
}

// Error lines are inert (source/text/inert.ts): a server's message can quote a hostile value.
function fail(error: unknown): number {
	if (error instanceof CliError) {
		process.stderr.write(`handoff-top: ${inert(error.message)}\n`);
		return error.exitCode;
	}

	const message = error instanceof Error ? error.message : String(error);
	process.stderr.write(`handoff-top: ${inert(message.split('\n')[0] ?? '')}\n`);
	if (process.env['HANDOFF_TOP_DEBUG'] && error instanceof Error) process.stderr.write(`${inertLines(error.stack ?? '')}\n`);
	return exitCodes.failure;
}

const kebab = (name: string) => name.replaceAll(/[A-Z]/g, c => `-${c.toLowerCase()}`);

/** An unknown flag is a usage error; a number flag given something else keeps what was typed, so the command's check quotes it ('abc', not NaN). */
function checkParsedFlags(parsed: Record<string, unknown>, argv: string[]): void {
	for (const key of Object.keys(parsed)) {
		if (!(key in flags) && key !== 'help' && key !== 'version') throw new CliError(`unknown flag --${kebab(key)} (see handoff-top --help)`, exitCodes.usage);
	}

	for (const [key, spec] of Object.entries(flags)) {
		if (spec.type !== 'number' || !Number.isNaN(parsed[key])) continue;
		const flag = `--${kebab(key)}`;
		const at = argv.findIndex(a => a === flag || a.startsWith(`${flag}=`));
		parsed[key] = at === -1 ? '' : argv[at]!.startsWith(`${flag}=`) ? argv[at]!.slice(flag.length + 1) : (argv[at + 1] ?? '');
	}
}

export async function main(argv: string[]): Promise<void> {
	// --help and --version answer before anything else is checked, connected or started, whatever else is given.
	const asked = helpRequest(argv, new Set(Object.entries(flags).flatMap(([name, spec]) => (spec.type === 'boolean' ? [] : [kebab(name)]))));
	if (asked.help && asked.command !== undefined) {
		const usage = usageOf(asked.command);
		if (usage) {
			process.stdout.write(usage);
			process.exitCode = 0;
			return;
		}
	}

	const cli = meow(help, {
		importMeta: import.meta,
		// meow answers --help and --version only when alone: here they answer with anything
		argv: asked.help && asked.command === undefined ? ['--help'] : asked.version && !asked.help ? ['--version'] : argv,
		// unknown flags and non-numbers are answered below, as every other usage error: one 'handoff-top:' line, exit 2
		allowUnknownFlags: true,
		flags,
	});
	const [name, ...args] = cli.input;

	let code: number;
	try {
		checkParsedFlags(cli.flags, argv);
		// No command: the monitor (which prints a snapshot when stdout is not a terminal).
		const load = commands[name ?? 'monitor'];
		if (!load) throw new CliError(`unknown command '${name}' (see handoff-top --help)`, exitCodes.usage);
		const command = await load();
		code = await command.run({args, flags: singleValues(name, cli.flags)});
	} catch (error) {
		code = fail(error);
	}

	process.exitCode = code;
}
