// Does LISTEN work on this connection? The feed asks before it relies on
// wake-ups: it LISTENs on a private channel and NOTIFYs it, then waits about a
// second for the notification.
//
// On a direct connection the NOTIFY comes from the same connection. Behind a
// pooler (connect() found one: the server sees another client port) it comes
// from a second, short connection: in PgBouncer's transaction pooling both our
// own statements usually run on the same server connection, so a NOTIFY to
// ourselves arrives although the notifications of other sessions do not (they
// reach a server connection that is idle in the pool, or another client's).
// A second client is what the writers are.
import {randomBytes} from 'node:crypto';
import type pg from 'pg';
import {isBehindPooler} from '../db/sessionSettings.js';
import {render} from '../db/monitorRole.js';
import {sqlText} from '../db/sqlText.js';

export type ListenCheck = {ok: true} | {ok: false; reason: string};

export type ListenCheckOptions = {
	/** A second connection for the NOTIFY behind a pooler. */
	connect?: () => Promise<pg.Client>;
	/** How long to wait for the notification (default 1000 ms). */
	timeoutMs?: number;
};

function firstLine(error: unknown): string {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n')[0] ?? text;
}

export const pollingReason = 'LISTEN does not work through this connection (a pooler in transaction mode?)';

export async function checkListen(client: pg.Client, options: ListenCheckOptions = {}): Promise<ListenCheck> {
	const channel = `handoff_top_listen_check_${randomBytes(6).toString('hex')}`;
	const token = randomBytes(8).toString('hex');
	const timeoutMs = options.timeoutMs ?? 1000;
	let arrived: (() => void) | undefined;
	const delivered = new Promise<boolean>(resolve => {
		arrived = () => resolve(true);
		setTimeout(() => resolve(false), timeoutMs).unref();
	});
	const onNotification = (notification: pg.Notification) => {
		if (notification.channel === channel && notification.payload === token) arrived?.();
	};

	client.on('notification', onNotification);
	try {
		try {
			await client.query(render(sqlText('connection/listen').trim(), {channel}));
		} catch (error) {
			return {ok: false, reason: `LISTEN refused: ${firstLine(error)}`};
		}

		const notify = async (c: pg.Client) => c.query(sqlText('connection/notify'), [channel, token]);
		if (isBehindPooler(client) && options.connect) {
			const other = await options.connect();
			try {
				await notify(other);
			} finally {
				await other.end().catch(() => {});
			}
		} else {
			await notify(client);
		}

		return (await delivered) ? {ok: true} : {ok: false, reason: pollingReason};
	} catch (error) {
		return {ok: false, reason: `${pollingReason}: ${firstLine(error)}`};
	} finally {
		client.off('notification', onNotification);
		await client.query(render(sqlText('connection/unlisten').trim(), {channel})).catch(() => {});
	}
}
