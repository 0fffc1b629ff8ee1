/**
 * The child's side of `balance: 'round-robin'`, for serve(): connections come
 * from the manager on Node's IPC channel (protocol/connections.ts) and are
 * given to the server as if it had accepted them (`server.emit('connection')`:
 * an http server parses them, a tls/https server wraps them in TLS first),
 * instead of the server listening on fd 5 + i.
 *
 * The IPC channel keeps a Node process alive while it has a 'message'
 * listener: the listener is here only from serve() until the manager's
 * `ppiStopped`, so a child whose server has stopped exits as before.
 */
import net from 'node:net';
import { listenerOf } from '../protocol/connections';

/** How a server gets its connections: stop() ends that, and calls `stopped` once none can still arrive. */
export interface Intake {
  stop(stopped: () => void): void;
}

/** What a socket accepted by `server` itself would have had set (net.Server's onconnection). */
interface AcceptOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** In seconds, as net.Server keeps it. */
  keepAliveInitialDelay?: number;
}

/** Gives `socket` to `server` with what net.Server's own accept would have set on it. */
function adopt(server: net.Server, socket: net.Socket): void {
  const options = server as net.Server & AcceptOptions;
  // http.Server is allowHalfOpen: a client's FIN must not end the socket before the response is written.
  socket.allowHalfOpen = options.allowHalfOpen === true;
  // http.Server sets noDelay: without it, Nagle delays small responses on a keep-alive connection.
  if (options.noDelay) socket.setNoDelay(true);
  if (options.keepAlive) socket.setKeepAlive(true, (options.keepAliveInitialDelay ?? 0) * 1000);
  if (options.pauseOnConnect) socket.pause();
  server.emit('connection', socket);
}

/**
 * Starts taking listener `index`'s connections from the manager. Throws when
 * this child has no IPC channel. stop() calls back, as net.Server#close()
 * does, once no connection can arrive and every one taken has closed.
 */
export function takeConnections(server: net.Server, index: number): Intake {
  if (!process.send || !process.connected) {
    throw new Error(
      "ppi.serve(): the manager deals connections out (balance: 'round-robin') but this child has no IPC channel to receive them on " +
        '(a child must be spawned by its PreforkIPC manager)',
    );
  }
  let state: 'taking' | 'stopping' | 'ended' = 'taking';
  let stopped: (() => void) | undefined;
  /** Sockets taken and not closed: a TLS handshake in progress is not yet a request, but is a connection. */
  const open = new Set<net.Socket>();
  const check = (): void => {
    if (state !== 'ended' || open.size > 0 || !stopped) return;
    const done = stopped;
    stopped = undefined;
    done();
  };
  const end = (): void => {
    if (state === 'ended') return;
    state = 'ended';
    process.removeListener('message', onMessage);
    process.removeListener('disconnect', end);
    check();
  };
  const onMessage = (message: unknown, handle: unknown): void => {
    if (listenerOf(message, 'ppiConnection') === index) {
      // Taken during the stop too: the manager sent it before it knew; the drain answers it.
      if (!(handle instanceof net.Socket)) return;
      process.send?.({ ppiTaken: index }, undefined, undefined, () => {});
      open.add(handle);
      handle.once('close', () => {
        open.delete(handle);
        check();
      });
      adopt(server, handle);
      return;
    }
    if (state === 'stopping' && listenerOf(message, 'ppiStopped') === index) end();
  };
  process.on('message', onMessage);
  // The manager gone: no connection can come any more (onManagerExit decides what the child does).
  process.on('disconnect', end);
  process.send({ ppiServing: index });
  // http.Server starts its request/headers timeout checks on 'listening'.
  server.emit('listening');
  return {
    stop(done: () => void): void {
      stopped = done;
      if (state !== 'taking') return check();
      state = 'stopping';
      // The answer comes after every socket the manager sent before it: none is left in the channel.
      process.send?.({ ppiStopping: index }, undefined, undefined, () => {});
      if (!process.connected) end();
    },
  };
}
