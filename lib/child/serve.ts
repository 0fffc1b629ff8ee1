/**
 * `ppi.serve(server)`: listen on one of the manager's sockets, and stop
 * without failing a request when the manager forwards TERM (a reload, a
 * shrink, a shutdown). Opt-in: it is the only place a child installs a
 * signal handler.
 *
 * The stop: stop accepting (the manager's socket stays open, so new
 * connections wait in the kernel's queue for a sibling or the next
 * generation); answer every request already on a connection, marked
 * `Connection: close`; close keep-alive connections once idle; then finish().
 *
 * Why not http.Server#close(): since Node 19 it destroys idle keep-alive
 * connections at once, and "idle" on the server includes a connection whose
 * client has just sent its next request: under 50 keep-alive connections of
 * autocannon that turned each reload into a burst of connection resets.
 * Closing a connection only after a response that says `Connection: close`,
 * or after `idleCloseMs` without any request, leaves the race only for a
 * client silent for that long.
 *
 * Balance: children accepting on one socket share connections unevenly (the
 * child awake when a burst of connections arrives takes most of it), and
 * with keep-alive the imbalance lasts as long as the connections. Node's own
 * server.maxRequestsPerSocket answers the request over the limit with a 503
 * when the client does not heed `Connection: close` (autocannon does not:
 * 40,000 failed requests in 3 s). Here the limit only marks a response
 * `Connection: close`, as the stop does, so connections are re-made now and
 * then and land on whichever child is free: measured in docs/servers.md.
 * The other lever is `balance: 'round-robin'`: the server does not listen,
 * the manager hands it connections (round-robin.ts), and the stop's "stop
 * accepting" is telling the manager and waiting for its answer.
 */
import net from 'node:net';
import type { ServerResponse } from 'node:http';
import { normalizeSignal, nodeSignal } from '../signals';
import type { Listener, ServeOptions } from '../view';
import { takeConnections } from './round-robin';

export interface ServeHost {
  /** Resolves once the manager's hello (and so the listeners) arrived. */
  readonly ready: Promise<unknown>;
  readonly listeners: readonly Listener[];
  /** `balance: 'round-robin'`: connections come from the manager (round-robin.ts); the server does not listen. */
  readonly roundRobin: boolean;
  finish(exitCode: number, payload: unknown): Promise<void>;
  /** Tells the manager this child is ready (it listens, or round-robin, serves). */
  markReady(): void;
}

const DEFAULT_IDLE_CLOSE_MS = 250;
/** Off by default: at 100, 4 children served within 1.5× of each other, but hello-world req/s fell by a third (reconnects). */
const DEFAULT_MAX_REQUESTS_PER_CONNECTION = 0;

interface Connection {
  /** Responses on it that may still be in progress, oldest first (HTTP/1.1 answers in order); done ones are dropped lazily. */
  responses: ServerResponse[];
  /** Upgraded (WebSocket…): it belongs to the application, and ends when the application ends it. */
  upgraded: boolean;
  /** Requests received on it. */
  requests: number;
  idleTimer?: NodeJS.Timeout;
}

function checkOptions(options: ServeOptions): { index: number; signal: NodeJS.Signals; idleCloseMs: number; maxRequests: number } {
  const index = options.listener ?? 0;
  if (!Number.isSafeInteger(index) || index < 0) throw new TypeError(`ppi.serve(): listener must be an index ≥ 0, got ${String(options.listener)}`);
  const name = normalizeSignal(options.signal ?? 'TERM');
  if (!name) throw new TypeError(`ppi.serve(): ${JSON.stringify(options.signal)} is not a signal`);
  const idleCloseMs = options.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
  if (typeof idleCloseMs !== 'number' || !(idleCloseMs >= 0)) throw new TypeError(`ppi.serve(): idleCloseMs must be a number of ms ≥ 0, got ${String(idleCloseMs)}`);
  const maxRequests = options.maxRequestsPerConnection ?? DEFAULT_MAX_REQUESTS_PER_CONNECTION;
  if (!Number.isSafeInteger(maxRequests) || maxRequests < 0) {
    throw new TypeError(`ppi.serve(): maxRequestsPerConnection must be a whole number ≥ 0, got ${String(options.maxRequestsPerConnection)}`);
  }
  return { index, signal: nodeSignal(name), idleCloseMs, maxRequests };
}

export async function serve(server: net.Server, host: ServeHost, options: ServeOptions = {}): Promise<void> {
  const { index, signal, idleCloseMs, maxRequests } = checkOptions(options);
  await host.ready;
  const listener = host.listeners[index];
  if (!listener) {
    throw new Error(
      host.listeners.length === 0
        ? "ppi.serve(): the manager has no listening socket: give it the 'listen' option"
        : `ppi.serve(): there is no listener ${index} (the manager has ${host.listeners.length})`,
    );
  }

  const connections = new Map<net.Socket, Connection>();
  let stopping = false;
  const closeWhenIdle = (socket: net.Socket, state: Connection): void => {
    if (state.responses.length > 0 || state.upgraded || state.idleTimer) return;
    state.idleTimer = setTimeout(() => socket.destroy(), idleCloseMs);
  };
  const track = (socket: net.Socket): Connection => {
    let state = connections.get(socket);
    if (!state) {
      const fresh: Connection = { responses: [], upgraded: false, requests: 0 };
      connections.set(socket, fresh);
      socket.once('close', () => {
        clearTimeout(fresh.idleTimer);
        connections.delete(socket);
      });
      state = fresh;
    }
    return state;
  };
  // An https.Server hands requests the TLS socket, made on 'secureConnection'.
  const isTls = 'setSecureContext' in server;
  server.on(isTls ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    const state = track(socket);
    if (stopping) closeWhenIdle(socket, state);
  });
  // The request listener runs for every request, so until the stop it only notes the
  // response: a listener on each response's 'close' (with a closure and once()) was ≈ 5 % of a
  // hello-world child's CPU under autocannon (--cpu-prof) and put ours below node:cluster.
  // Responses already done are dropped from the list as the next request comes; the stop
  // watches the ones still running (watchResponses).
  const isDone = (res: ServerResponse): boolean => res.writableFinished || res.destroyed;
  function responseClosed(this: ServerResponse): void {
    const socket = this.req.socket;
    const state = connections.get(socket);
    if (!state) return; // the connection closed first
    state.responses = state.responses.filter((res) => res !== this);
    closeWhenIdle(socket, state);
  }
  const watchResponses = (state: Connection): void => {
    state.responses = state.responses.filter((res) => !isDone(res));
    for (const res of state.responses) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      res.on('close', responseClosed);
    }
  };
  server.prependListener('request', (req: { socket: net.Socket }, res: ServerResponse) => {
    const state = track(req.socket);
    if (state.idleTimer) {
      clearTimeout(state.idleTimer);
      state.idleTimer = undefined;
    }
    const responses = state.responses;
    while (responses.length > 0 && isDone(responses[0])) responses.shift();
    responses.push(res);
    state.requests++;
    if (stopping) {
      res.setHeader('Connection', 'close');
      res.on('close', responseClosed);
      return;
    }
    // Connection: close after maxRequests: the client reconnects, and the kernel gives the new
    // connection to whichever child accepts first, usually the least busy (see the top of this file).
    if (maxRequests > 0 && state.requests >= maxRequests) res.setHeader('Connection', 'close');
  });
  server.prependListener('upgrade', (req: { socket: net.Socket }) => {
    track(req.socket).upgraded = true;
  });

  // Round-robin: taking starts here, before the signal handler, so a throw leaves nothing installed.
  const intake = host.roundRobin ? takeConnections(server, index) : undefined;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const drained = (): void => {
      const payload = options.finalPayload ? options.finalPayload() : undefined;
      // Until finish() is done, a repeated stop signal is ignored (stop() is idempotent) instead of
      // killing the drain with Node's default action: gracePeriod's SIGKILL is the escalation.
      void Promise.resolve(payload)
        .then((value) => host.finish(0, value))
        .then(() => process.removeListener(signal, stop));
    };
    // net.Server's close, not http.Server's: see the top of this file. Both call back once every connection has closed.
    if (intake) intake.stop(drained);
    else net.Server.prototype.close.call(server, drained);
    for (const [socket, state] of connections) {
      watchResponses(state);
      closeWhenIdle(socket, state);
    }
  };
  process.on(signal, stop);
  // Ready (docs/servers.md, "Readiness"): round-robin, once the manager has been told we serve
  // (ppiServing went out above); otherwise once listen() has succeeded, never before.
  if (intake) return host.markReady();

  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => {
      process.removeListener(signal, stop);
      reject(err);
    };
    server.once('error', failed);
    server.listen(listener, listener.backlog, () => {
      server.removeListener('error', failed);
      resolve();
    });
  });
  host.markReady();
}
