/**
 * Makes the manager's bound sockets listen before the first child exists, so
 * connections that arrive while the pool starts (or while every child is
 * gone) wait in the kernel's queue instead of being refused: what Starlet and
 * Server::Starter get by calling listen() before fork().
 *
 * The manager itself must not accept (listeners.ts). Node cannot listen
 * without accepting: `handle.listen()` registers the descriptor with the
 * event loop, which accepts every connection on its next turn. But the
 * listening state belongs to the socket, not to the process that asked: so a
 * short helper process, handed the sockets as its stdio, calls listen(2) on
 * each and exits in the same synchronous run, before its event loop ever
 * turns, and so before it could accept anything. The manager's descriptors
 * are now listening sockets that nothing in the manager polls; each child's
 * `server.listen(fd)` is a listen(2) on a socket that already listens, which
 * the kernel allows.
 *
 * Cost: one bare `node -e` start-up, once per manager (measured in
 * docs/servers.md), before the first spawn.
 */
import { spawn } from 'node:child_process';
import { CHILD_MARKER } from '../role';

/** Linux's default listen() backlog, net.Server's too. */
const DEFAULT_BACKLOG = 511;
/** A bare node start-up takes 40 ms here, seconds on a loaded machine; past this, children listen as before. */
const HELPER_TIMEOUT_MS = 30_000;

/** What the helper runs: listen(2) on fd 3 + i with backlog[i], then exit before the event loop turns. */
const HELPER = `
const net = require('node:net');
const backlogs = JSON.parse(process.argv[1]);
const errors = backlogs.map((backlog, i) => {
  const handle = net._createServerHandle(null, 0, 0, 3 + i);
  return typeof handle === 'number' ? handle : handle.listen(backlog);
});
process.stderr.write(JSON.stringify(errors));
process.exit(0);
`;

export interface ListenFirstResult {
  /** listen(2)'s result per socket: 0, or a negative errno. */
  errors?: number[];
  /** Why the helper did not report (it could not start, crashed, or timed out). */
  failed?: string;
}

/** Runs the helper on `handles` (bound, not listening); resolves with listen()'s result per socket. Never rejects. */
export function listenFirst(handles: readonly object[], backlogs: readonly (number | undefined)[]): Promise<ListenFirstResult> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(process.execPath, ['-e', HELPER, JSON.stringify(backlogs.map((b) => b ?? DEFAULT_BACKLOG))], {
        // No NODE_OPTIONS (a ts-node --require would cost seconds), no child marker: a bare node
        // (the rest of the environment kept, for a node that needs e.g. LD_LIBRARY_PATH).
        env: { ...process.env, NODE_OPTIONS: undefined, [CHILD_MARKER]: undefined },
        stdio: ['ignore', 'ignore', 'pipe', ...(handles as never[])],
      });
    } catch (err) {
      resolve({ failed: (err as Error).message });
      return;
    }
    let out = '';
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS);
    timer.unref();
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ failed: err.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      try {
        const errors = JSON.parse(out) as unknown;
        if (code === 0 && Array.isArray(errors) && errors.length === handles.length && errors.every((e) => Number.isInteger(e))) {
          resolve({ errors: errors as number[] });
          return;
        }
      } catch {
        /* reported below */
      }
      resolve({ failed: signal ? `killed by ${signal}` : `exited ${String(code)}: ${out.slice(0, 200)}` });
    });
  });
}
