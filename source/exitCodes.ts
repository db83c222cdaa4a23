// Exit codes, documented in the README. Distinct per cause so scripts and
// deploy steps can tell them apart.
export const exitCodes = {
	ok: 0,
	/** The operation ran and failed (a migration, a sweep, an unexpected error). */
	failure: 1,
	/** Bad flags, arguments or configuration. */
	usage: 2,
	/** Cannot connect: bad DSN, unknown host, refused, authentication, missing database. */
	cannotConnect: 3,
	/** validate: the database differs from the expected schema. */
	drift: 4,
	/** validate: the check itself could not be completed. */
	couldNotCheck: 5,
	/** The handoff schema is missing or older than this version. */
	schemaMissing: 6,
	/** The role lacks a privilege the command needs. */
	privilege: 7,
	/** migrate refused: an applied migration changed, or another runner holds the lock. */
	migrationBlocked: 8,
	/** demo: the embedded PostgreSQL could not start (no postgres user, no space, no port...). */
	embeddedServer: 9,
	interrupted: 130,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** An error meant for the user: one line, and the exit code that says why. */
export class CliError extends Error {
	constructor(
		message: string,
		readonly exitCode: ExitCode,
	) {
		super(message);
		this.name = 'CliError';
	}
}
