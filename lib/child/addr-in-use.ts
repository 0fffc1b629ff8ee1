/**
 * The trap a literal Starlet port falls into: the script listens before the
 * prefork loop, so the manager holds the port, and every child's listen()
 * dies with EADDRINUSE about once per errRespawnInterval while the manager's
 * own event loop answers the requests, and `curl` looks fine.
 *
 * Watching every net.Server for 'error' would mean patching net; instead one
 * 'uncaughtExceptionMonitor' listener (it runs just before Node dies of an
 * uncaught exception, changes nothing, and costs nothing until then) reads
 * the error the child is about to die of. A listen() error nobody handles is
 * exactly that: an uncaught 'error' event. A child that handles the error
 * itself has seen it already.
 */
import { warnBeforeDying } from '../warn';

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
}

/** What the child holds: no socket of the manager's, its sockets (kernel balancing), or none since the manager accepts (round-robin). */
export type ListenerMode = 'none' | 'kernel' | 'round-robin';

export function warnOnAddressInUse(mode: () => ListenerMode): void {
  process.on('uncaughtExceptionMonitor', (error: unknown) => {
    const err = error as SystemError;
    if (err?.code !== 'EADDRINUSE' || err.syscall !== 'listen') return;
    const where = err.port !== undefined ? `${err.address ?? ''}:${err.port}` : (err.address ?? 'its address');
    // Written at once (warnBeforeDying): the process dies right after this listener.
    const held = mode();
    const message =
      held === 'round-robin'
        ? `this child's listen() on ${where} failed with EADDRINUSE: with balance: 'round-robin' the manager accepts on its sockets ` +
            'and hands the connections to ppi.serve(server), which is how a child serves there (a child holds no socket to listen on)'
        : held === 'kernel'
        ? `this child's listen() on ${where} failed with EADDRINUSE: listen on the manager's socket instead, ` +
            'with server.listen(ppi.listeners[0]) or ppi.serve(server)'
        : `this child's listen() on ${where} failed with EADDRINUSE: is the port held by the manager (the same script, ` +
            "run before start())? Give the address to the manager with the 'listen' option and call " +
            'server.listen(ppi.listeners[0]) (or ppi.serve(server)) in the child; see docs/servers.md';
    warnBeforeDying(message);
  });
}
