// Each command's usage, printed by `handoff-top <command> --help` (exit 0,
// before anything connects or starts). The overview is the --help of the CLI.
const connection = `
  Connection
    --dsn URL     postgres://user:password@host:port/database
                  (else DATABASE_URL, else PGHOST, PGPORT, PGUSER, PGDATABASE, ~/.pgpass)`;

const monitor = `
  Usage
    $ handoff-top [monitor] [--dsn URL] [options]

  The interactive monitor (a snapshot when stdout is not a terminal). ? or h shows the keys.

  Options
    --interval S        Refresh every S seconds (default 2, at least 0.5)
    --write             Allow archive, reactivate, sweep and migrate from the UI (each asks y/n)
    --no-color          No colours (also NO_COLOR)
    --threshold %       Success rate under which an operation is marked and raises the alarm (default 95)
    --no-bell           No terminal bell when an alarm starts (the title bar still turns red)
    --window W          Chart window: 1h, 6h or 24h (default 1h)
    --screen NAME       First screen: events, sessions, dormant, performance, metrics, schema, storage (or 1-7)
    --since T           Live events from T (10m, 2h, 1d or an ISO time); else the newest events, then live
    --storage-limit S   The Storage screen's limit (100GB, 512MB; 1024-based): days left, alarm at 80 %`;

export const commandUsage: Record<string, string> = {
	monitor,
	schema: `
  Usage
    $ handoff-top schema > schema.sql

  Prints the complete schema (every migration in order) as one SQL file for psql -f. No database is read.`,
	tail: `
  Usage
    $ handoff-top tail [--dsn URL] [--json] [--since T] [--interval S]

  Prints lifecycle events as they are committed, one per line, until SIGINT/SIGTERM.

  Options
    --json              One JSON object per event
    --since T           From the first event created at or after T (10m, 2h, 1d or an ISO time)
    --interval S        Safety poll every S seconds (default 2, at least 0.5)
    --no-color          No colours`,
	snapshot: `
  Usage
    $ handoff-top snapshot [--dsn URL] [--json] [--threshold %] [--window W] [--limit N] [--storage-limit S]

  Prints every monitor panel once, as text or (--json) one JSON document.

  Options
    --json              One JSON document
    --threshold %       Success rate under which an operation is marked (default 95)
    --window W          Window of the series: 1h, 6h or 24h (default 1h)
    --limit N           Rows per list (default 10, at most 1000)
    --storage-limit S   The Storage panel's limit (100GB, 512MB; 1024-based): days left, alarm at 80 %`,
	demo: `
  Usage
    $ handoff-top demo [--rate N] [--duration S] [--keep] [--interval S]

  The monitor (with --write) on an embedded PostgreSQL and a simulated handoff server.

  Options
    --rate N            Simulated operations per second (default 20, at most 5000)
    --duration S        Stop after S seconds (default: until you quit)
    --keep              Keep the embedded database's directory
    --interval S        The monitor's refresh (default 2)
    --no-color          No colours
    --no-bell           No terminal bell when an alarm starts`,
	simulate: `
  Usage
    $ handoff-top simulate --dsn URL [--rate N] [--duration S]

  Simulates a busy handoff server against the database (it writes; reconnects when the database restarts).

  Options
    --rate N            Operations per second (default 20, at most 5000)
    --duration S        Stop after S seconds (default: until SIGINT/SIGTERM)`,
	setup: `
  Usage
    $ handoff-top setup --dsn URL [--create-monitor-role NAME [--monitor-password P]]

  A new installation: creates the database if missing and applies every migration.

  Options
    --create-monitor-role NAME   Also create a read-only role for the monitor
    --monitor-password P         Its password (else HANDOFF_TOP_MONITOR_PASSWORD)`,
	migrate: `
  Usage
    $ handoff-top migrate [--dsn URL] [--dry-run] [--backup schema|full | --no-backup] [--backup-dir DIR] [--no-wait]

  Migrates an existing database: backs up (schema by default), then applies pending migrations.

  Options
    --dry-run           Run the plan and roll it back
    --backup MODE       schema (default) or full
    --no-backup         No backup (you took your own)
    --backup-dir DIR    Where backups go (default backups)
    --no-wait           Exit 8 instead of waiting for another runner`,
	validate: `
  Usage
    $ handoff-top validate [--dsn URL] [--json]

  Compares the database with the expected schema: exit 0 same, 4 drift found, 5 could not check.

  Options
    --json              One JSON document`,
	sweep: `
  Usage
    $ handoff-top sweep [--dsn URL] [--dry-run] [--limit N] [--batch N] [--json]

  Runs the lifecycle sweep once (expire, dormant, archive, purge), then the log retention (log_retention).

  Options
    --dry-run           Say what it would do, change nothing
    --limit N           At most N sessions per action (default 10000)
    --batch N           Rows per retention batch, each its own transaction (default 5000)
    --json              One JSON document`,
	partition: `
  Usage
    $ handoff-top partition [performance_logs] [system_metrics] [--dsn URL] [--dry-run] [--ahead N] [--json]

  Converts performance_logs (by created_at) and system_metrics (by recorded_at), or the one named, to daily
  range partitions, keeping every row: a CHECK validated while writers go on, a unique index built
  concurrently, then one short swap under ACCESS EXCLUSIVE (waits at most 3 s for it). The sweep then drops
  expired partitions and creates the next days (in SQL: CALL log_retention_sweep()).

  Options
    --dry-run           Print the steps and the lock each takes; change nothing
    --ahead N           Daily partitions created ahead (default 3)
    --json              One JSON document`,
	exporter: `
  Usage
    $ handoff-top exporter [--listen HOST:PORT] [--dsn [NAME=]URL ...] [--label NAME=VALUE ...] [--state FILE] [--storage-limit S]

  Serves Prometheus metrics of one database or several at http://HOST:PORT/metrics until SIGINT/SIGTERM.

  Options
    --listen HOST:PORT  Where to listen (default 127.0.0.1:10280; port 0: any free one)
    --dsn [NAME=]URL    A database to read, repeatable; NAME (else the database's name) is its database label
    --label NAME=VALUE  A label on every series, repeatable
    --state FILE        Keep the counters here across exporter restarts
    --storage-limit S   The size the database must stay under (100GB, 512MB; 1024-based): the storage forecast's ceiling="limit"`,
};

/** The usage of one command, with the connection flags where it connects. */
export function usageOf(command: string): string | undefined {
	const usage = commandUsage[command];
	if (usage === undefined) return undefined;
	const connects = !['schema', 'demo'].includes(command);
	return `${usage}\n${connects ? `${connection}\n` : ''}\n    --help        This help\n    --version     The version\n`;
}

/** Where --help or --version stand in the arguments, and the command they are for; read before any other check.
 * `valueFlags` (kebab-case) take a value: the word after one is not a command. */
export function helpRequest(argv: string[], valueFlags: ReadonlySet<string>): {command: string | undefined; help: boolean; version: boolean} {
	let command: string | undefined;
	let help = false;
	let version = false;
	for (let i = 0; i < argv.length; i++) {
		const argument = argv[i]!;
		if (argument === '--') break;
		if (argument === '--help' || argument === '-h') help = true;
		else if (argument === '--version') version = true;
		else if (argument.startsWith('--')) {
			const name = argument.slice(2).replaceAll(/[A-Z]/g, c => `-${c.toLowerCase()}`);
			if (!name.includes('=') && valueFlags.has(name)) i++;
		} else if (!argument.startsWith('-')) command ??= argument;
	}

	return {command, help, version};
}
