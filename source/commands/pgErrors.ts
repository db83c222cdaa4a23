// Server errors a user can cause or meet, as one-line CliErrors.
import {CliError, exitCodes} from '../exitCodes.js';

export function userFacingError(error: unknown, doing: string): unknown {
	if (error instanceof CliError) return error;
	const e = error as {code?: string; message?: string};
	const message = e?.message ?? String(error);
	switch (e?.code) {
		case '42501':
			return new CliError(`permission denied while ${doing}: ${message}`, exitCodes.privilege);
		case '57014':
			return new CliError(`${doing} timed out (statement_timeout): ${message}`, exitCodes.failure);
		case '55P03':
			return new CliError(`${doing}: a lock was not available in time (lock_timeout): ${message}`, exitCodes.failure);
		case '25006':
			return new CliError(`${doing}: the connection is read-only: ${message}`, exitCodes.privilege);
		default:
			return error;
	}
}
