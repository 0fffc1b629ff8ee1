/**
 * The one rule for a Unix socket path that is already taken when we want to
 * bind it: remove it only when it is provably a dead server's leftover.
 *
 * "Any connect error means nobody listens" (the rule this replaces) deleted a
 * regular file at a mistyped path, and the socket of a live server whose accept
 * queue was momentarily full (connect answers EAGAIN on a Unix socket, it does
 * not wait). So a path is removed only when
 * - `lstat` says it is a socket (not a file, a directory, or a symbolic link,
 *   which bind() would refuse anyway and which we must never follow), and
 * - a connect to it fails with ECONNREFUSED (nothing listens on it), and
 * - it is still the same socket (device and inode) just before the unlink:
 *   a server that replaced it meanwhile keeps its file.
 * ENOENT at any step means the path went away by itself: it is free.
 * Everything else is a refusal, in words that say what is there.
 *
 * Used by the `listen` option (listeners.ts) and meant for any other socket
 * the manager binds (a control socket): one rule, one place.
 */
import { lstatSync, unlinkSync, type Stats } from 'node:fs';
import net from 'node:net';

/** What a non-socket at the path is, for the error. */
function kind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device file';
  return 'a file that is not a socket';
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The connect's outcome: 'connected', or the error's code. */
function probe(path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/**
 * Makes `path` free for a Unix socket bind if what is there is a stale socket
 * (removing it), and says why not otherwise. Resolves `undefined` when the
 * path is free now (nothing was there, it went away, or a stale socket was
 * removed), or a reason naming what is there ('a regular file is there, not a
 * socket: remove it or choose another path', 'a server is answering on it', …).
 * Never removes anything but a socket nobody listens on.
 */
export async function removeStaleSocket(path: string): Promise<string | undefined> {
  let stats: Stats | null;
  try {
    stats = lstatOrNull(path);
  } catch (err) {
    return `cannot inspect it: ${(err as Error).message}`;
  }
  if (!stats) return undefined;
  if (!stats.isSocket()) return `${kind(stats)} is there, not a socket: remove it or choose another path`;
  const outcome = await probe(path);
  switch (outcome) {
    case 'ENOENT':
      return undefined; // removed by its owner meanwhile
    case 'connected':
      return 'a server is answering on it';
    case 'EAGAIN':
    case 'EWOULDBLOCK':
      return 'a server is listening on it (its accept queue is full: connect answered EAGAIN)';
    case 'ECONNREFUSED':
      break;
    default:
      return `it is a socket, but a connect to it failed with ${outcome}, so it may still be in use`;
  }
  // Nobody listens: remove it, unless it was replaced since the lstat.
  let now: Stats | null;
  try {
    now = lstatOrNull(path);
  } catch (err) {
    return `cannot inspect it: ${(err as Error).message}`;
  }
  if (!now) return undefined;
  if (!now.isSocket() || now.ino !== stats.ino || now.dev !== stats.dev) return 'it was replaced while being checked (another process is starting on it?)';
  try {
    unlinkSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return `a stale socket nobody listens on, which cannot be removed: ${code ?? (err as Error).message}`;
  }
  return undefined;
}
