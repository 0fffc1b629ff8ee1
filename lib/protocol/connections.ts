/**
 * The messages of `balance: 'round-robin'`, on Node's own IPC channel (the
 * child's `'ipc'` stdio entry, after the listening sockets), not on fd 3/4:
 * Node passes a socket only with a message on that channel, and the child's
 * "stopped" answer must come after every socket sent before it, which holds
 * only on one channel (Node sends a channel's messages in order, a socket's
 * included).
 *
 * Each message has one key, `ppi…`, whose value is the listener index: a
 * user's `process.send()` message is not mistaken for one, and a child's own
 * `process.on('message')` listener can tell ours at a glance.
 *
 *   child → manager  { ppiServing: i }    serve() takes connections of listener i
 *   manager → child  { ppiConnection: i } + a socket of listener i
 *   child → manager  { ppiTaken: i }      the oldest socket sent is here: the manager closes its copy
 *   child → manager  { ppiStopping: i }   the stop began: send no more
 *   manager → child  { ppiStopped: i }    nothing more will come (every socket sent before it has)
 */

/** The listener index a message of kind `key` carries, or undefined when `message` is not one. */
export function listenerOf(
  message: unknown,
  key: 'ppiServing' | 'ppiConnection' | 'ppiTaken' | 'ppiStopping' | 'ppiStopped',
): number | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const value = (message as Record<string, unknown>)[key];
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
}
