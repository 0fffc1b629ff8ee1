/**
 * A child's stdio: 0–2 inherited, fd 3 and 4 the channel's pipes, then one
 * descriptor per listening socket (fd 5, 6, …), in the order of the `listen`
 * option. spawn() takes a libuv handle (TCP, Pipe) or a number in its stdio
 * array and duplicates it into the child at that position, as Node's own
 * test/parallel/test-listen-fd-server.js does; nothing else needs sending.
 *
 * With `balance: 'round-robin'` the child gets no socket (the manager alone
 * accepts) and fd 5 is an `'ipc'` entry instead: Node's IPC channel, the only
 * way Node passes a socket to a running process (protocol/connections.ts).
 * Node finds it in the child by NODE_CHANNEL_FD, which spawn() sets.
 * The numbers are TO_CHILD_FD, FROM_CHILD_FD and FIRST_LISTENER_FD (protocol/messages.ts).
 */
import type { StdioOptions } from 'node:child_process';
import type { ChildStdout } from '../options';
import { FROM_CHILD_FD, TO_CHILD_FD } from '../protocol/messages';

export function childStdio(listeners: ReadonlyArray<{ stdio: object | number }>, ipc = false, stdout: ChildStdout = 'inherit'): StdioOptions {
  // spawn() accepts handles at run time; its type only lists streams and numbers.
  const extra = listeners.map((listener) => listener.stdio) as unknown as number[];
  // 'stderr': fd 1 is a copy of the manager's fd 2, so even a write(1) or a subprocess with
  // inherited stdio lands there (replacing process.stdout.write in the child would miss both).
  const fixed: Array<'inherit' | 'pipe' | number> = ['inherit', stdout === 'stderr' ? 2 : 'inherit', 'inherit'];
  fixed[TO_CHILD_FD] = 'pipe';
  fixed[FROM_CHILD_FD] = 'pipe';
  // The listeners follow at FIRST_LISTENER_FD (= fixed.length): spec/unit/launch/stdio.test.ts checks it.
  return [...fixed, ...extra, ...(ipc ? ['ipc' as const] : [])];
}
