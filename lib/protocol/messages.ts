/**
 * The messages on the wire. Each is one JSON object on one line.
 * fd 3 carries manager → child messages, fd 4 child → manager (TO_CHILD_FD, FROM_CHILD_FD below).
 * A payload, result or workerData of `undefined` is sent by leaving the key
 * out, so `undefined` and `null` stay distinct. docs/protocol.md describes
 * the same thing for people writing a child in another language.
 */

/** Child → manager: run the named callback. */
export interface CallMessage {
  type: 'call';
  id: number;
  name: string;
  payload?: unknown;
}

import type { Listener, ReportedError, ServedInfo } from '../view';

/** Child → manager: the final payload, sent by finish(); the reply is the go-ahead to exit (or, reused, to go round). */
export interface FinishMessage {
  type: 'finish';
  id: number;
  payload?: unknown;
  /** The code given to finish(): a reused child's lifetime status, since its process does not exit. */
  code?: number;
  /** The child's RSS in bytes, sent only when the hello asked (`reportRss`): the manager compares it with maxChildMemory without polling. */
  rss?: number;
  /** Sent when ppi.serve() ended the lifetime: why it stopped and how many requests it received (`ReapInfo.served`). */
  served?: ServedInfo;
}

/** Child → manager: the uncaught exception (or unhandled rejection) about to end this process, written synchronously. */
export interface CrashMessage {
  type: 'crash';
  /** The lifetime it happened in. */
  lifetime: number;
  error: ReportedError;
}

/**
 * Child → manager: this child is ready (docs/servers.md, "Readiness"): `ppi.serve()` listens (or,
 * round-robin, serves), the child called `ppi.ready()`, or (the hello's `readyOnStart`) its start()
 * resolved. Sent at most once per process; no reply. Until it arrives the child is `starting`,
 * and a reload does not stop the child it replaces.
 */
export interface ReadyMessage {
  type: 'ready';
}

/**
 * Child → manager: the periodic beat (the hello's `beatInterval`), sent from a timer in the
 * child's own event loop: a child whose beats stop arriving is stuck (the hung-child watchdog
 * reads it), and each one carries what the scoreboard and memory recycling need. The first is
 * sent as soon as the hello arrived, so the manager knows the child is up.
 */
export interface BeatMessage {
  type: 'beat';
  /** 0, 1, 2, … per process. */
  seq: number;
  /** The coarse state (`'idle'`, `'busy'` or the child's own word) and its note (a request line, a job id). */
  state: string;
  note?: string;
  /** ms since the epoch: when `state` (or, under serve(), the current request) began. */
  since: number;
  /** Requests (serve()) or busy spells (setStatus) ended in this process. */
  served: number;
  /** Requests in progress now (serve()); 1 while busy, 0 otherwise, with setStatus. */
  inflight: number;
  /** Event-loop utilisation (0…1) since the previous beat: performance.eventLoopUtilization(). */
  elu: number;
  /** Bytes: process.memoryUsage().rss and .heapUsed. */
  rss: number;
  heapUsed: number;
  /** prom-client's getMetricsAsJSON() of the child's registry, when the child exports metrics. */
  metrics?: unknown[];
}

/** Child → manager: the coarse state flipped (setStatus, or serve() going busy/idle); at most one per debounce. */
export interface StatusMessage {
  type: 'status';
  state: string;
  note?: string;
  since: number;
  served: number;
  inflight: number;
}

/** Manager → child: the first message a child receives. */
export interface HelloMessage {
  type: 'hello';
  /** PROTOCOL_VERSION of the manager's library. */
  protocol: number;
  managerPid: number;
  generation: number;
  workerData?: unknown;
  /**
   * The manager's listening sockets, in order; the child finds the i-th one on
   * fd 5 + i. Absent without the `listen` option.
   */
  listeners?: ListenerAddress[];
  /** The manager's maxWorkers when it spawned this child (a child's ppi.maxWorkers, as Perl's copy at fork). */
  maxWorkers?: number;
  /** lifetimesPerChild > 1: finish() resolves and the child waits for `next-lifetime` or `retire`. */
  reuse?: boolean;
  /** Send `rss` with finish (maxChildMemory is set). */
  reportRss?: boolean;
  /**
   * `'round-robin'` (the `balance` option): the manager accepts, and hands this child its
   * connections on the Node IPC channel (protocol/connections.ts) instead of the child
   * accepting on fd 5 + i. Absent: the kernel balances.
   */
  balance?: 'round-robin';
  /**
   * The child is ready once its start() resolved (no `listen` option, `readiness: 'auto'`): it sends
   * `ready` then on its own. Absent: it is ready only when serve() listens or it calls ppi.ready().
   */
  readyOnStart?: boolean;
  /**
   * The child is ready once its own `server.listen(ppi.listeners[i])` listens (`listen` and
   * `readiness: 'auto'`), as well as by serve() or ppi.ready(). Absent: not by its own listen().
   */
  readyOnListen?: boolean;
  /** The child's slot, 0 … maxWorkers − 1 (also in PREFORK_SLOT): a replacement inherits the slot of the child it replaces. */
  slot?: number;
  /** ms between beats (the `beatInterval` option); absent: the child sends no beat. */
  beatInterval?: number;
}

/** Callbacks the manager's library serves itself (a child's statusHandler() and metricsHandler() call them). */
export const STATUS_CALL = 'prefork-ipc:status';
export const METRICS_CALL = 'prefork-ipc:metrics';

/**
 * A child's descriptors, the one statement of the layout (launch/stdio.ts builds it, child/runtime.ts
 * and manager/child-handle.ts open it): 0–2 stdio, then the channel, then the listening sockets.
 */
/** The pipe carrying manager → child messages. */
export const TO_CHILD_FD = 3;
/** The pipe carrying child → manager messages. */
export const FROM_CHILD_FD = 4;
/** A child finds the manager's i-th listening socket on this descriptor + i (after the channel's two). */
export const FIRST_LISTENER_FD = 5;

/**
 * Where one of the manager's listening sockets listens, as the hello carries it: the public
 * `Listener` (view.ts, the one definition) without the `fd` a child adds (child/listeners.ts).
 */
export type ListenerAddress = { -readonly [K in keyof Omit<Listener, 'fd'>]: Listener[K] };

/** Manager → child (reused): begin lifetime `lifetime`; the child's pending start() resolves false. */
export interface NextLifetimeMessage {
  type: 'next-lifetime';
  lifetime: number;
  maxWorkers: number;
  workerData?: unknown;
}

/** Manager → child: abort lifetime `lifetime` (lifetimeTimeout or cancel()); ignored when that lifetime is over. */
export interface AbortLifetimeMessage {
  type: 'abort-lifetime';
  lifetime: number;
  /** 'timeout' for lifetimeTimeout, otherwise the reason given to cancel(). */
  reason: string;
  timeout: boolean;
}

/**
 * Why the pool stops a child: a reused child's limits ('served', 'generation', 'maxWorkers', 'stopping'),
 * a recycle (manager/recycling.ts: 'age', 'memory', 'requests'), or spare workers' 'idle'. The one list,
 * for the `retire` message below, the manager's decision (manager/retirement.ts) and its `retire` event.
 */
export type RetireReason = 'served' | 'generation' | 'maxWorkers' | 'memory' | 'stopping' | 'idle' | 'age' | 'requests';

/** Manager → child (reused): no further lifetime; flush stdout/stderr and exit 0. */
export interface RetireMessage {
  type: 'retire';
  /** Why, for people reading a trace (a child acts the same whatever it is). */
  reason: RetireReason;
}

/** Manager → child: a message from ppi.send(pid, message), for the child's ppi.on('message'). */
export interface UserMessage {
  type: 'message';
  payload?: unknown;
}

/** Why a call failed; a child turns it into `CallbackError.code`. */
export type FailureCode =
  | 'HANDLER_ERROR'
  | 'UNKNOWN_CALLBACK'
  | 'TIMEOUT'
  | 'BAD_RESULT'
  | 'MALFORMED'
  | 'MANAGER_GONE'
  | 'BAD_PAYLOAD'
  /** Never on the wire: the child's own channel to the manager (fd 4) is closed or failed, so the call could not be sent. */
  | 'CHANNEL_CLOSED';

/** Manager → child: the answer to a call or finish with the same id. */
export interface ReplyMessage {
  type: 'reply';
  id: number;
  result?: unknown;
  error?: { code: FailureCode; message: string; cause?: ReportedError };
}

/** Manager → child: the manager dropped something the child sent that it could not tie to a call. */
export interface NoticeMessage {
  type: 'notice';
  message: string;
}

/**
 * Child → manager: replace this child, replacement first (a `serve({ maxRequests })` child near
 * its limit). The manager spawns a successor and, once it is ready, sends this child its stop
 * signal; the child serves meanwhile. No reply; sent at most once per process.
 */
export interface ReplaceMessage {
  type: 'replace';
  /** Why; `'requests'` is the only one today. */
  reason: 'requests';
}

export type ChildToManager = CallMessage | FinishMessage | CrashMessage | BeatMessage | StatusMessage | ReplaceMessage | ReadyMessage;
export type ManagerToChild =
  | HelloMessage
  | ReplyMessage
  | NoticeMessage
  | NextLifetimeMessage
  | AbortLifetimeMessage
  | RetireMessage
  | UserMessage;

/**
 * Sent in `hello`. Raised when a message changes shape, so that a child
 * running another copy of the library (the `exec` option) can tell.
 */
export const PROTOCOL_VERSION = 3;
