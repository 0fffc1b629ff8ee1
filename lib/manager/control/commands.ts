/**
 * The control socket's commands: one request object in, one reply object
 * out. No sockets here (server.ts frames the lines), so every command and
 * every bad request can be tested against a plain object.
 *
 * Request: `{"command": "kill", "pid": 123, "hard": true}`; every field but
 * `command` depends on the command, and `id` (any JSON value) is echoed.
 * Reply: `{"ok": true, "result": …}` or `{"ok": false, "error": "…"}`.
 */
import type { Listener, PoolStatus } from '../../view';
import { subscribe } from '../events';

/** What the commands act on: the manager, through its public members only. */
export interface ControlledPool {
  readonly generation: number;
  maxWorkers: number;
  readonly running: boolean;
  readonly listeners: readonly Listener[];
  readonly children: ReadonlyMap<number, { kill(signal: NodeJS.Signals): boolean; readonly generation: number }>;
  cancel(pid: number, reason: string): boolean;
  send(pid: number, message: unknown): boolean;
  stop(signal: 'TERM' | 'HUP'): void;
  waitAllChildren(timeoutMs?: number): Promise<number>;
}

/** What the commands need besides the pool: the scoreboard's view and the settings worth showing. */
export interface ControlContext {
  pool: ControlledPool;
  status(): PoolStatus;
  metrics(): Promise<string>;
  /** Calls `fn` whenever a child's phase changes or a child is gone; returns the unwatch. */
  watch(fn: () => void): () => void;
  /** Whether HUP is trapped (a reload is something this manager does). */
  reloadable: boolean;
  /** The manager's id on the event channel: whose `reload` events to read. */
  eventId: number;
  /** Children beat (`beatInterval` not null), so their readiness is known. */
  beats: boolean;
  config(): Record<string, unknown>;
}

export type Reply = { ok: true; result: unknown } | { ok: false; error: string };

export const COMMANDS = ['status', 'metrics', 'add', 'remove', 'kill', 'cancel', 'send', 'reload', 'stop', 'config', 'listeners'] as const;
type CommandName = (typeof COMMANDS)[number];

/** A refusal the client is told about. */
class Refused extends Error {}

function count(request: Record<string, unknown>): number {
  const n = request.n ?? 1;
  if (!Number.isSafeInteger(n) || (n as number) < 1) throw new Refused(`${String(request.command)}: n must be a whole number ≥ 1, got ${JSON.stringify(n)}`);
  return n as number;
}

function childPid(context: ControlContext, request: Record<string, unknown>): number {
  const pid = request.pid;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) throw new Refused(`${String(request.command)}: pid must be a child's process id, got ${JSON.stringify(pid)}`);
  // Only this manager's children: the control socket must not become a way to signal any process.
  if (!context.pool.children.has(pid as number)) throw new Refused(`${String(request.command)}: ${String(pid)} is not a child of this manager`);
  return pid as number;
}

function flag(request: Record<string, unknown>, name: string): boolean {
  const value = request[name];
  if (value !== undefined && typeof value !== 'boolean') throw new Refused(`${String(request.command)}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  return value === true;
}

/**
 * Waits for the reload begun at generation `before` to end: `failed` when a `reload` event says
 * so (a rollback); done when none of the old generation's children is left and the new
 * generation's are all ready (their first beat). The `reload` event's `done` says only the first
 * half, so with beats off (nothing tells readiness) it is taken as the answer.
 */
function reloadOutcome(context: ControlContext, before: number): Promise<Reply> {
  return new Promise((resolve) => {
    const stops: Array<() => void> = [];
    const settle = (reply: Reply): void => {
      for (const stop of stops) stop();
      resolve(reply);
    };
    const check = (): void => {
      const { pool } = context;
      if (pool.generation <= before) {
        if (!pool.running && pool.children.size === 0) settle({ ok: false, error: 'reload: the pool stopped instead of starting a new generation' });
        return;
      }
      const status = context.status();
      const old = status.children.filter((c) => c.generation <= before).length;
      const ready = status.children.filter((c) => c.generation === pool.generation && c.phase === 'ready').length;
      if (old === 0 && ready >= pool.maxWorkers) {
        settle({ ok: true, result: { reloaded: true, generation: pool.generation } });
      }
    };
    stops.push(
      subscribe('reload', (event) => {
        if (event.manager !== context.eventId || event.generation < before) return;
        if (event.step === 'failed') settle({ ok: false, error: `reload failed${event.reason ? `: ${event.reason}` : ''}` });
        else if (event.step === 'done' && !context.beats) settle({ ok: true, result: { reloaded: true, generation: context.pool.generation } });
      }),
    );
    stops.push(context.watch(check));
    check();
  });
}

/** Runs one request; never throws (a bad request is a reply saying what is wrong). */
export async function runCommand(context: ControlContext, request: unknown): Promise<Reply> {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return { ok: false, error: 'a request must be a JSON object like {"command":"status"}' };
  }
  const req = request as Record<string, unknown>;
  const name = req.command;
  if (typeof name !== 'string' || !(COMMANDS as readonly string[]).includes(name)) {
    return { ok: false, error: `unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.join(', ')})` };
  }
  try {
    return { ok: true, result: await run(context, name as CommandName, req) };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, error: err.message };
    if (err instanceof ReplyError) return err.reply;
    return { ok: false, error: `${name}: ${(err as Error)?.message ?? String(err)}` };
  }
}

class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super('reply');
  }
}

async function run(context: ControlContext, name: CommandName, req: Record<string, unknown>): Promise<unknown> {
  const { pool } = context;
  switch (name) {
    case 'status':
      return context.status();
    case 'metrics':
      return context.metrics();
    case 'add':
      pool.maxWorkers = pool.maxWorkers + count(req);
      return { maxWorkers: pool.maxWorkers };
    case 'remove':
      pool.maxWorkers = Math.max(0, pool.maxWorkers - count(req));
      return { maxWorkers: pool.maxWorkers };
    case 'kill': {
      const pid = childPid(context, req);
      const signal = flag(req, 'hard') ? 'SIGKILL' : 'SIGTERM';
      return { pid, signal, sent: pool.children.get(pid)!.kill(signal) };
    }
    case 'cancel': {
      const pid = childPid(context, req);
      const reason = req.reason ?? 'cancelled by the control socket';
      if (typeof reason !== 'string') throw new Refused(`cancel: reason must be a string, got ${JSON.stringify(reason)}`);
      return { pid, cancelled: pool.cancel(pid, reason) };
    }
    case 'send': {
      const pid = childPid(context, req);
      if (!('message' in req)) throw new Refused('send: message is missing (any JSON value)');
      return { pid, sent: pool.send(pid, req.message) };
    }
    case 'reload': {
      if (!context.reloadable) throw new Refused('reload: this manager does not trap HUP (trapSignals), so it has no reload to run');
      if (!pool.running) throw new Refused('reload: the pool is not running (start() is not in progress)');
      const wait = flag(req, 'wait');
      const before = pool.generation;
      const outcome = wait ? reloadOutcome(context, before) : undefined;
      pool.stop('HUP');
      if (!outcome) return { reloading: true, generation: before };
      const reply = await outcome;
      if (!reply.ok) throw new ReplyError(reply);
      return reply.result;
    }
    case 'stop': {
      const wait = flag(req, 'wait');
      pool.stop('TERM');
      if (!wait) return { stopping: true };
      const remaining = await pool.waitAllChildren();
      return { stopped: remaining === 0 };
    }
    case 'config':
      return context.config();
    case 'listeners':
      return pool.listeners;
  }
}
