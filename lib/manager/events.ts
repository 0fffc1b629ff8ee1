/**
 * The manager's event channel: what happens in the pool, published on
 * `node:diagnostics_channel` channels. Status, metrics, the control socket and
 * outside tracing tools subscribe here instead of reaching into the pool.
 *
 * Why diagnostics_channel: it is Node's own mechanism (undici, node:http and APM
 * agents use it), and a publish with no subscriber is one property read
 * (`hasSubscribers`), so the manager pays nothing unless someone listens. Every
 * publisher below checks `hasSubscribers` before it builds its message.
 *
 * The names and message shapes are public API (docs/api.md, "Events"): add
 * fields freely, never rename or remove one.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ReapInfo } from '../view';
import type { RetireReason } from '../protocol/messages';

/** Every channel name starts with this. */
export const EVENT_PREFIX = 'parallel-prefork-ipc:';

/**
 * The messages, by channel name (without the prefix). Every message the
 * manager publishes carries `manager`: an id for the Manager that published it
 * (1 for the first in this process, then 2…), because channels are
 * process-global and two pools in one process publish on the same ones.
 */
export interface PoolEvents {
  /** A child process was spawned (before its hello is answered). */
  spawn: { pid: number; generation: number; slot?: number; manager: number; at: number };
  /** A child became ready (docs/servers.md, "Readiness"). */
  ready: { pid: number; generation: number; slot?: number; manager: number; at: number };
  /** A lifetime was handed to a child: its first at spawn, or the next one of a reused child. */
  lifetime: { pid: number; generation: number; lifetime: number; manager: number; at: number };
  /** A child's callback() reached the manager. */
  'callback:start': { pid: number; name: string; manager: number; at: number };
  /**
   * ... and its handler settled (`ok` false: the handler threw, timed out, or the name is unknown;
   * `code` is then the CallbackError code the child gets). `durationMs` from start to end.
   */
  'callback:end': { pid: number; name: string; ok: boolean; code?: string; durationMs: number; manager: number; at: number };
  /** A lifetime ended: the same facts `onChildReap` gets. */
  reap: { pid: number; generation: number; status: number; info: ReapInfo; manager: number; at: number };
  /**
   * A child was told to stop by the pool itself: a shrink (`reason` 'maxWorkers', sent the stop signal)
   * or a reused child retired between lifetimes (the `retire` message's reason). A reload's children
   * are on `reload` instead.
   */
  retire: { pid: number; generation: number; reason: RetireReason; manager: number; at: number };
  /** A child process is gone (after its last reap, if any). */
  exit: { pid: number; generation: number; code: number | null; signal: string | null; manager: number; at: number };
  /**
   * A reload's steps: `begin` at the signal, `step` per child the signal reached, then `done` when
   * no child of `generation` (the one being replaced) or older is left. `failed` is reserved for
   * readiness-gated reloads (not published yet).
   */
  reload: { step: 'begin' | 'step' | 'done' | 'failed'; generation: number; manager: number; at: number; pid?: number; reason?: string };
  /**
   * The pool is stopping: a trapped TERM, INT or QUIT (or `stop()` with one) ended `start()`
   * and the children were told to stop. `signal` is the trapped signal's name.
   */
  stop: { signal: string; generation: number; manager: number; at: number };
  /** balance: 'round-robin': connections waiting for a serving child, on listener `listener` (its index in `listen`), when that count changes. */
  backlog: { waiting: number; listener: number; manager: number; at: number };
  /** A child's periodic beat arrived (issue "See and steer"): counters, ELU, memory. */
  beat: { pid: number; manager: number; at: number; beat: Readonly<Record<string, unknown>> };
  /** A child's coarse status changed (`ppi.setStatus()`, or serve()'s busy/idle). */
  status: { pid: number; state: string; note?: string; manager: number; at: number };
  /** Spare workers (`minSpareWorkers`/`maxSpareWorkers`): a check that spawned (`count`: the ramp's allowance) or retired one idle child. */
  sizing: { action: 'spawn' | 'retire'; count: number; idle: number; busy: number; alive: number; manager: number; at: number };
}

export type PoolEventName = keyof PoolEvents;

/** Every channel's name (without the prefix), for subscribing to all of them. */
export const EVENT_NAMES: readonly PoolEventName[] = Object.freeze([
  'spawn',
  'ready',
  'lifetime',
  'callback:start',
  'callback:end',
  'reap',
  'retire',
  'exit',
  'reload',
  'stop',
  'backlog',
  'beat',
  'status',
  'sizing',
] satisfies Array<keyof PoolEvents>);

/** A message on channel `N`. */
export type PoolEvent<N extends PoolEventName = PoolEventName> = PoolEvents[N];

const channels = new Map<PoolEventName, diagnostics.Channel>();

/** The channel for `name` (created once; diagnostics_channel keeps one per name anyway). */
export function channelOf(name: PoolEventName): diagnostics.Channel {
  let channel = channels.get(name);
  if (!channel) {
    channel = diagnostics.channel(EVENT_PREFIX + name);
    channels.set(name, channel);
  }
  return channel;
}

/** Is anybody listening on `name`? Check before building a message that costs anything. */
export function observed(name: PoolEventName): boolean {
  return channelOf(name).hasSubscribers;
}

/** Publishes `message` on `name`; free when nobody subscribes. */
export function publish<N extends PoolEventName>(name: N, message: PoolEvents[N]): void {
  const channel = channelOf(name);
  if (channel.hasSubscribers) channel.publish(message);
}

/** Subscribes `fn` to `name`; returns the unsubscribe. */
export function subscribe<N extends PoolEventName>(name: N, fn: (message: PoolEvents[N]) => void): () => void {
  const listener = (message: unknown): void => fn(message as PoolEvents[N]);
  diagnostics.subscribe(EVENT_PREFIX + name, listener);
  return () => {
    diagnostics.unsubscribe(EVENT_PREFIX + name, listener);
  };
}
