/**
 * A child's stdio: 0–2 inherited, fd 3 and 4 the channel's pipes, then one
 * descriptor per listening socket (fd 5, 6, …: FIRST_LISTENER_FD in protocol/messages.ts), in the order of the `listen`
 * option. spawn() takes a libuv handle (TCP, Pipe) or a number in its stdio
 * array and duplicates it into the child at that position, as Node's own
 * test/parallel/test-listen-fd-server.js does; nothing else needs sending.
 *
 * With `balance: 'round-robin'` the child gets no socket (the manager alone
 * accepts) and fd 5 is an `'ipc'` entry instead: Node's IPC channel, the only
 * way Node passes a socket to a running process (protocol/connections.ts).
 * Node finds it in the child by NODE_CHANNEL_FD, which spawn() sets.
 */
import type { StdioOptions } from 'node:child_process';
import type { ChildStdout } from '../options';

export function childStdio(listeners: ReadonlyArray<{ stdio: object | number }>, ipc = false, stdout: ChildStdout = 'inherit'): StdioOptions {
  // spawn() accepts handles at run time; its type only lists streams and numbers.
  const extra = listeners.map((listener) => listener.stdio) as unknown as number[];
  // 'stderr': fd 1 is a copy of the manager's fd 2, so even a write(1) or a subprocess with
  // inherited stdio lands there (replacing process.stdout.write in the child would miss both).
  return ['inherit', stdout === 'stderr' ? 2 : 'inherit', 'inherit', 'pipe', 'pipe', ...extra, ...(ipc ? ['ipc' as const] : [])];
}
