import type { FailureCode } from '../protocol/messages';

export type CallOutcome = { ok: true; result: unknown } | { ok: false; code: FailureCode; message: string };

/**
 * Runs one handler for one call and says how it went. Never throws: whatever
 * the handler does becomes an answer for the child.
 */
export async function serveCallback(
  handler: ((...args: never[]) => unknown) | undefined,
  name: string,
  known: readonly string[],
  invoke: () => unknown,
  timeoutMs: number | undefined,
): Promise<CallOutcome> {
  if (!handler) {
    const list = known.length ? known.map((n) => `'${n}'`).join(', ') : 'none';
    return { ok: false, code: 'UNKNOWN_CALLBACK', message: `no callback named '${name}' in the manager (defined: ${list})` };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const running = Promise.resolve().then(invoke);
    if (timeoutMs === undefined) return { ok: true, result: await running };
    const timedOut = new Promise<CallOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, code: 'TIMEOUT', message: `callback '${name}' timed out after ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    return await Promise.race([running.then((result): CallOutcome => ({ ok: true, result })), timedOut]);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, code: 'HANDLER_ERROR', message: `callback '${name}' failed in the manager: ${message}` };
  } finally {
    clearTimeout(timer);
  }
}
