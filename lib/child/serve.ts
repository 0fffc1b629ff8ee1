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
 *
 * maxRequests (Starlet's max_reqs_per_child): counting requests and sending
 * ourselves SIGTERM at the limit (the old recipe) overshot, in 42 of 46
 * children under 20 connections: the signal is handled on a later turn of the
 * event loop and the child kept accepting until then. Here the count is
 * exact: every open connection may still send one request (until a response
 * told it `Connection: close`), so the child stops accepting, in the same
 * tick, as soon as requests received + connections that may still send
 * reaches the limit; from then on every response says `Connection: close`.
 * Each connection then sends its one request (or goes idle and is closed after
 * `idleCloseMs`): exactly N requests when the clients keep sending, never more
 * (a pipelined request already sent, or under round-robin a connection the
 * manager dealt before it heard of the stop, are answered: they were accepted).
 */
import net from 'node:net';
import type { ServerResponse } from 'node:http';
import { millisecondsProblem } from '../options';
import { normalizeSignal, nodeSignal } from '../signals';
import type { Listener, ServedInfo, ServeOptions, ServeStop } from '../view';
import { takeConnections } from './round-robin';
import type { ChildBeat } from './beat';
import { takeEarlySignal } from './early-signals';

export interface ServeHost {
  /** Resolves once the manager's hello (and so the listeners) arrived. */
  readonly ready: Promise<unknown>;
  readonly listeners: readonly Listener[];
  /** `balance: 'round-robin'`: connections come from the manager (round-robin.ts); the server does not listen. */
  readonly roundRobin: boolean;
  finish(exitCode: number, payload: unknown, served: ServedInfo): Promise<void>;
  /** Tells the manager this child is ready (it listens, or round-robin, serves). */
  markReady(): void;
  /** Asks the manager for this child's replacement, replacement first (a `replace` message; once per process). */
  askReplacement(reason: 'requests'): void;
  /** Called once per serve() that gets going: `ended` settles when its serving is over (finish() done, or listen() failed). */
  serving(ended: Promise<void>): void;
  /** The child's scoreboard entry: serve() keeps its state (busy while a request is in progress) and counters. */
  readonly beat?: ChildBeat;
}

const DEFAULT_IDLE_CLOSE_MS = 250;
/**
 * With maxRequests, when the child asks for its replacement (docs/servers.md, "Recycling without a
 * gap"): once the requests left, at its rate, would last less than REPLACE_LEAD × its own start-up
 * (its successor's will be about the same, on the same machine under the same load), and at
 * REPLACE_AT of its limit at the latest. The rate is the higher of the average since serving began
 * and the last RATE_WINDOW_MS: a sibling leaving the pool doubles a child's share at once. A fixed
 * share alone did not do: at 0.9, a child at 150 req/s had 30 ms left for a start-up that took
 * 200–700 ms on the loaded 2-core test machine, and the pool went one child short. A lead of 2 still
 * left it short once in a full-suite run (a successor starting slower than the child itself had):
 * 4 costs a surge child that lives a little longer, nothing else.
 */
const REPLACE_LEAD = 4;
const REPLACE_AT = 0.9;
const RATE_WINDOW_MS = 250;
/** Off by default: at 100, 4 children served within 1.5× of each other, but hello-world req/s fell by a third (reconnects). */
const DEFAULT_MAX_REQUESTS_PER_CONNECTION = 0;

interface Connection {
  /** Responses on it that may still be in progress, oldest first (HTTP/1.1 answers in order); done ones are dropped lazily. */
  responses: ServerResponse[];
  /** Upgraded (WebSocket…): it belongs to the application, and ends when the application ends it. */
  upgraded: boolean;
  /** Requests received on it. */
  requests: number;
  /** It can send no further request: a response told it `Connection: close`, its client asked for close, or it upgraded. */
  spent: boolean;
  idleTimer?: NodeJS.Timeout;
}

interface Checked {
  index: number;
  signal: NodeJS.Signals;
  idleCloseMs: number;
  perConnection: number;
  /** The request limit, jitter drawn; 0: none. */
  limit: number;
}

function count(options: ServeOptions, name: 'maxRequestsPerConnection' | 'maxRequests' | 'maxRequestsJitter'): number {
  const value = options[name] ?? 0;
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`ppi.serve(): ${name} must be a whole number ≥ 0, got ${String(options[name])}`);
  return value;
}

function checkOptions(server: net.Server, options: ServeOptions): Checked {
  const index = options.listener ?? 0;
  if (!Number.isSafeInteger(index) || index < 0) throw new TypeError(`ppi.serve(): listener must be an index ≥ 0, got ${String(options.listener)}`);
  const name = normalizeSignal(options.signal ?? 'TERM');
  if (!name) throw new TypeError(`ppi.serve(): ${JSON.stringify(options.signal)} is not a signal`);
  const idleCloseMs = options.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
  const problem = millisecondsProblem(idleCloseMs);
  if (problem) throw new TypeError(`ppi.serve(): idleCloseMs must be ${problem}, got ${String(idleCloseMs)}`);
  const perConnection = options.maxRequestsPerConnection === undefined ? DEFAULT_MAX_REQUESTS_PER_CONNECTION : count(options, 'maxRequestsPerConnection');
  const maxRequests = count(options, 'maxRequests');
  const jitter = count(options, 'maxRequestsJitter');
  if (maxRequests > 0 && !('maxRequestsPerSocket' in server)) {
    throw new TypeError('ppi.serve(): maxRequests counts HTTP requests: give serve() an http or https server');
  }
  // As gunicorn: max_requests + randint(0, max_requests_jitter), drawn once per child.
  const limit = maxRequests > 0 ? maxRequests + Math.floor(Math.random() * (jitter + 1)) : 0;
  return { index, signal: nodeSignal(name), idleCloseMs, perConnection, limit };
}

export async function serve(server: net.Server, host: ServeHost, options: ServeOptions = {}): Promise<void> {
  const { index, signal, idleCloseMs, perConnection, limit } = checkOptions(server, options);
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
  /** Why serving ends, once it does: set by the first of the stop signal, the request limit, the server's own close. */
  let stopped: ServeStop | undefined;
  /** Requests received, and the open connections that may still send one: stop accepting when they reach the limit. */
  let requests = 0;
  let mayStillSend = 0;
  const spend = (state: Connection): void => {
    if (state.spent) return;
    state.spent = true;
    mayStillSend--;
  };
  const closeWhenIdle = (socket: net.Socket, state: Connection): void => {
    if (state.responses.length > 0 || state.upgraded || state.idleTimer) return;
    state.idleTimer = setTimeout(() => socket.destroy(), idleCloseMs);
  };
  const track = (socket: net.Socket): Connection => {
    let state = connections.get(socket);
    if (!state) {
      const fresh: Connection = { responses: [], upgraded: false, requests: 0, spent: false };
      connections.set(socket, fresh);
      mayStillSend++;
      socket.once('close', () => {
        clearTimeout(fresh.idleTimer);
        spend(fresh);
        connections.delete(socket);
      });
      state = fresh;
    }
    return state;
  };
  // Replacement first (REPLACE_LEAD): the child asks the manager, once, to start its successor
  // early enough that the pool is not one short while this child drains. One performance.now() per
  // request, only with maxRequests.
  const replaceAt = limit > 0 ? Math.max(1, Math.floor(limit * REPLACE_AT)) : 0;
  let replaceAsked = false;
  /** When serving began, and how long this process took to get there (performance.now() counts from its start). */
  let servingSince = 0;
  let windowStart = 0;
  let windowRequests = 0;
  /** Requests per ms in the last window (0 until one has passed). */
  let recentRate = 0;
  const limitInSight = (): boolean => {
    if (limit === 0) return false;
    const seen = requests + mayStillSend;
    if (!replaceAsked && servingSince > 0) {
      const now = performance.now();
      if (now - windowStart >= RATE_WINDOW_MS) {
        recentRate = (requests - windowRequests) / (now - windowStart);
        windowStart = now;
        windowRequests = requests;
      }
      const rate = Math.max(requests / Math.max(1, now - servingSince), recentRate);
      const msLeft = rate > 0 ? (limit - seen) / rate : Infinity;
      if (seen >= replaceAt || msLeft < REPLACE_LEAD * servingSince) {
        replaceAsked = true;
        host.askReplacement('requests');
      }
    }
    return seen >= limit;
  };
  // An https.Server hands requests the TLS socket, made on 'secureConnection'.
  const isTls = 'setSecureContext' in server;
  const onConnection = (socket: net.Socket): void => {
    const state = track(socket);
    if (stopped) closeWhenIdle(socket, state);
    else if (limitInSight()) stop('maxRequests');
  };
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
  /** At the stop: watch the responses still running; `markClose` (the stop signal) also makes each the connection's last. */
  const watchResponses = (state: Connection, markClose: boolean): void => {
    state.responses = state.responses.filter((res) => !isDone(res));
    for (const res of state.responses) {
      if (markClose && !res.headersSent) {
        res.setHeader('Connection', 'close');
        spend(state);
      }
      res.on('close', responseClosed);
    }
  };
  // The scoreboard, at the cost of three stores per request: the request count, the latest
  // request line and its time. What is in progress is counted only when someone looks (the
  // beat, or the status check a busy child gets every 100 ms; beat.ts), by walking the
  // connections' response lists, which the stop keeps anyway.
  let lastMethod: string | undefined;
  let lastUrl: string | undefined;
  let lastAt = 0;
  const beat = host.beat;
  beat?.setProbe(() => {
    let inflight = 0;
    for (const state of connections.values()) for (const res of state.responses) if (!isDone(res)) inflight++;
    const note = lastMethod === undefined ? undefined : `${lastMethod} ${lastUrl ?? ''}`.slice(0, 200);
    return { inflight, served: requests - inflight, note, since: lastAt };
  });
  const onRequest = (req: { socket: net.Socket; method?: string; url?: string }, res: ServerResponse & { shouldKeepAlive?: boolean }): void => {
    lastMethod = req.method;
    lastUrl = req.url;
    lastAt = Date.now();
    beat?.requestStarted();
    const state = track(req.socket);
    if (state.idleTimer) {
      clearTimeout(state.idleTimer);
      state.idleTimer = undefined;
    }
    const responses = state.responses;
    while (responses.length > 0 && isDone(responses[0])) responses.shift();
    responses.push(res);
    state.requests++;
    requests++;
    if (stopped) {
      res.setHeader('Connection', 'close');
      spend(state);
      res.on('close', responseClosed);
      return;
    }
    // Connection: close after maxRequestsPerConnection: the client reconnects, and the kernel gives the new
    // connection to whichever child accepts first, usually the least busy (see the top of this file).
    if (perConnection > 0 && state.requests >= perConnection) res.setHeader('Connection', 'close');
    if (perConnection > 0 && state.requests >= perConnection) spend(state);
    else if (res.shouldKeepAlive === false) spend(state); // the client asked for close (or HTTP/1.0)
    if (limitInSight()) stop('maxRequests');
  };
  const onUpgrade = (req: { socket: net.Socket }): void => {
    const state = track(req.socket);
    state.upgraded = true;
    requests++;
    spend(state);
    if (!stopped && limitInSight()) stop('maxRequests');
  };
  server.on(isTls ? 'secureConnection' : 'connection', onConnection);
  server.prependListener('request', onRequest);
  server.prependListener('upgrade', onUpgrade);

  // Round-robin: taking starts here, before the signal handler, so a throw leaves nothing installed.
  const intake = host.roundRobin ? takeConnections(server, index) : undefined;
  let ended!: () => void;
  const end = new Promise<void>((resolve) => (ended = resolve));
  /** Serving is over (every connection closed): take our listeners off the server, and finish(). */
  const drained = (): void => {
    takeEarlySignal(signal); // the stop signal noted while serving is not for a later serve()
    server.removeListener(isTls ? 'secureConnection' : 'connection', onConnection);
    server.removeListener('request', onRequest);
    server.removeListener('upgrade', onUpgrade);
    server.removeListener('close', onClose);
    const payload = options.finalPayload ? options.finalPayload() : undefined;
    // Until finish() is done, a repeated stop signal is ignored (stop() is idempotent) instead of
    // killing the drain with Node's default action: gracePeriod's SIGKILL is the escalation.
    void Promise.resolve(payload)
      .then((value) => host.finish(0, value, { stop: stopped!, requests }))
      .then(() => process.removeListener(signal, onSignal))
      .finally(ended);
  };
  function stop(reason: ServeStop): void {
    if (stopped) return;
    stopped = reason;
    // net.Server's close, not http.Server's: see the top of this file. Both call back once every connection has closed.
    if (intake) intake.stop(drained);
    else net.Server.prototype.close.call(server, drained);
    for (const [socket, state] of connections) {
      // The limit leaves each connection its one request; the stop signal makes the running ones the last.
      watchResponses(state, reason === 'signal');
      closeWhenIdle(socket, state);
    }
  }
  const onSignal = (): void => stop('signal');
  // The application closed the server itself (the obvious way to stop serving): that ends serving too.
  // In kernel mode 'close' comes once its connections are gone; under round-robin the intake still
  // has to be stopped and drained.
  function onClose(): void {
    if (stopped) return;
    stopped = 'closed';
    if (intake) intake.stop(drained);
    else drained();
  }
  server.on('close', onClose);
  // The stop signal came while the child was starting, and a listener of the application's
  // swallowed it (early-signals.ts): stop now, without listening.
  const stoppedEarly = takeEarlySignal(signal);
  process.on(signal, onSignal);
  host.serving(end);
  if (stoppedEarly) return stop('signal');
  // Ready (docs/servers.md, "Readiness"): round-robin, once the manager has been told we serve
  // (ppiServing went out above); otherwise once listen() has succeeded, never before.
  if (intake) {
    servingSince = windowStart = performance.now();
    return host.markReady();
  }

  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => {
      process.removeListener(signal, onSignal);
      server.removeListener('close', onClose);
      ended();
      reject(err);
    };
    server.once('error', failed);
    server.listen(listener, listener.backlog, () => {
      server.removeListener('error', failed);
      servingSince = windowStart = performance.now();
      resolve();
    });
  });
  host.markReady();
}
