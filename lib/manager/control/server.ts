/**
 * The `controlSocket` option: a Unix socket speaking NDJSON request/reply
 * (commands.ts), framed with the channel's own line splitter.
 *
 * Safe to leave open: the socket is made with mode 0600 (the umask is
 * narrowed around the bind, so there is no moment it is wider); an existing
 * path is replaced only when it is a stale socket (stale-socket.ts); each
 * client may hold at most MAX_LINE_BYTES of an unfinished line and
 * MAX_CLIENTS may be connected; a client silent for IDLE_MS is told so and
 * closed; a bad request gets an error reply and nothing else changes. The
 * server and its connections are unref'd: they never keep the manager alive.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { onExit } from 'signal-exit';
import { LineSplitter } from '../../protocol/line-splitter';
import { isBlankLine } from '../../protocol/codec';
import { removeStaleSocket } from '../stale-socket';
import { runCommand, type ControlContext, type Reply } from './commands';

/** A request is a few hundred bytes; `send`'s message may be more. */
export const MAX_LINE_BYTES = 1024 * 1024;
export const MAX_CLIENTS = 32;
export const IDLE_MS = 30_000;
/** After an oversized line: how long the rest of it is read (and dropped) before the connection is cut. */
const OVERSIZED_GRACE_MS = 1000;

function replyLine(id: unknown, reply: Reply): string {
  return JSON.stringify(id === undefined ? reply : { id, ...reply }) + '\n';
}

export class ControlServer {
  readonly #server: net.Server;

  private constructor(
    server: net.Server,
    readonly path: string,
  ) {
    this.#server = server;
  }

  /** Listens on `path` (see the top of this file for the rules); rejects with an error naming the problem. */
  static async open(path: string, context: ControlContext, limits: { idleMs?: number } = {}): Promise<ControlServer> {
    const what = "PreforkIPC option 'controlSocket'";
    const refused = await removeStaleSocket(path);
    if (refused !== undefined) throw new Error(`${what}: cannot listen on ${path}: ${refused}`);
    const idleMs = limits.idleMs ?? IDLE_MS;
    const server = net.createServer({ allowHalfOpen: true }, (socket) => serveClient(socket, context, idleMs));
    server.maxConnections = MAX_CLIENTS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`${what}: cannot listen on ${path}: ${err.message}`)));
      const umask = process.umask(0o177);
      try {
        server.listen(path, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    chmodSync(path, 0o600);
    server.unref();
    server.on('error', () => {
      /* an accept error (EMFILE): the server goes on */
    });
    onExit(() => {
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    });
    return new ControlServer(server, path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function serveClient(socket: net.Socket, context: ControlContext, idleMs: number): void {
  socket.unref();
  let closed = false;
  let pending = 0;
  let ended = false;
  const write = (text: string): void => {
    if (!closed && !socket.destroyed) socket.write(text);
  };
  const finishIfDone = (): void => {
    if (ended && pending === 0 && !closed) socket.end();
  };
  const splitter = new LineSplitter(
    MAX_LINE_BYTES,
    (line) => {
      if (isBlankLine(line)) return;
      let request: unknown;
      try {
        request = JSON.parse(line.toString('utf8'));
      } catch (err) {
        write(replyLine(undefined, { ok: false, error: `not JSON: ${(err as Error).message}` }));
        return;
      }
      const id = typeof request === 'object' && request !== null ? (request as { id?: unknown }).id : undefined;
      pending++;
      void runCommand(context, request).then((reply) => {
        pending--;
        let text: string;
        try {
          text = replyLine(id, reply);
        } catch (err) {
          text = replyLine(undefined, { ok: false, error: `the reply cannot be sent as JSON: ${(err as Error).message}` });
        }
        write(text);
        finishIfDone();
      });
    },
    (bytes) => {
      write(replyLine(undefined, { ok: false, error: `request line longer than ${MAX_LINE_BYTES} bytes (after ${bytes}); closing` }));
      socket.end();
      // What it still sends is read and dropped (the splitter holds nothing once over), so the
      // client can finish its write and see the reply; one that keeps sending is cut off.
      setTimeout(() => socket.destroy(), OVERSIZED_GRACE_MS).unref();
    },
  );
  socket.setTimeout(idleMs, () => {
    if (pending > 0) return; // a --wait in progress: its answer comes when it comes
    write(replyLine(undefined, { ok: false, error: `no request within ${idleMs / 1000} s; closing` }));
    socket.end();
  });
  socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  socket.on('end', () => {
    ended = true;
    finishIfDone();
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => {
    /* the client went away mid-reply: nothing to tell it, nothing else disturbed */
  });
}
