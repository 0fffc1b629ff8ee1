/**
 * Starting pg-boss with a bounded wait and errors a user can act on: the
 * manager, `enqueue` and `results` all connect through here. pg's pool waits
 * forever by default for a server that accepts the connection and never
 * answers; here connecting is bounded by `connectionTimeoutMillis` (pg
 * destroys the socket), and the whole start-up (connect, schema check or
 * migration, the queue's lookup) by one deadline. Messages name the host and
 * port, never the password.
 */
import { redact, serverOf } from './flags';

/** Default bound on connecting and on the start-up as a whole, ms. libpq's PGCONNECT_TIMEOUT (seconds) overrides it. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The connect timeout: $PGCONNECT_TIMEOUT seconds (libpq's variable; pg itself ignores it) or 10 s. */
export function connectTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.PGCONNECT_TIMEOUT;
  if (text === undefined || text.trim() === '') return DEFAULT_CONNECT_TIMEOUT_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`PGCONNECT_TIMEOUT must be a number of seconds above 0, got ${JSON.stringify(text)}`);
  }
  return Math.ceil(seconds * 1000);
}

/** Why talking to the server failed, in the user's terms: the server, the reason, and what a reason usually means. */
export function describeDatabaseError(error: unknown, url: string): string {
  const server = serverOf(url);
  const reason = redact(error instanceof Error ? error.message : String(error), url);
  let hint = '';
  if (/Connection terminated unexpectedly|unexpected message|invalid response|not.*postgres/i.test(reason)) {
    hint = ' (the server there closed the connection without speaking the Postgres protocol: is that the right host and port?)';
  } else if (/timeout|timed out|no answer/i.test(reason)) {
    hint = ' (is that host and port right, and the server up? PGCONNECT_TIMEOUT=seconds waits longer)';
  } else if (/ECONNREFUSED/.test(reason)) {
    hint = ' (nothing listens there)';
  } else if (/ENOTFOUND|EAI_AGAIN/.test(reason)) {
    hint = ' (the host name does not resolve)';
  }
  return `Postgres at ${server}: ${reason}${hint}`;
}

/**
 * Runs `steps` (pg-boss's start and what follows it) with a deadline of
 * `timeoutMs`. On failure or timeout, `abandon` is called (stop pg-boss
 * without waiting) and the Error names the server, never the password.
 */
export async function withDeadline<T>(url: string, timeoutMs: number, steps: () => Promise<T>, abandon: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${Math.round(timeoutMs / 100) / 10} s`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([steps(), deadline]);
  } catch (error) {
    abandon();
    throw new Error(describeDatabaseError(error, url));
  } finally {
    clearTimeout(timer);
  }
}
