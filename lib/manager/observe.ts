/**
 * What the manager shows of itself: `ppi.status()`, `ppi.metrics()`, the
 * library's own callbacks a child's status page calls, and the control
 * socket. The manager holds one of these and forwards to it; everything here
 * reads the scoreboard its child handles feed.
 */
import { DEFAULTS, type ResolvedOptions } from '../options';
import type { MetricsRegistry as MetricsSource, PoolStatus } from '../view';
import type { CallOutcome } from './callback-server';
import type { ControlContext, ControlledPool } from './control/commands';
import type { ControlServer } from './control/server';
import { subscribe } from './events';
import { METRICS_CALL, STATUS_CALL } from '../protocol/messages';
import { Scoreboard } from './scoreboard';


export class Observability {
  readonly scoreboard = new Scoreboard();
  #registry: MetricsSource | undefined;
  #control: Promise<ControlServer> | undefined;

  constructor(
    private readonly pool: ControlledPool,
    private readonly options: ResolvedOptions,
    /** This manager's id on the event channel: the events of another manager in the process are not ours. */
    private readonly eventId: number,
  ) {
    // Reloads are counted from the reload event (published by the pool's reload steps, reload-events.ts).
    subscribe('reload', (event) => {
      if (event.manager !== eventId) return;
      if (event.step === 'done' || event.step === 'failed') this.scoreboard.reloaded(event.step);
    });
  }

  status(): PoolStatus {
    return this.scoreboard.status(this.pool);
  }

  async metrics(): Promise<string> {
    // Loaded on first scrape: a manager nobody scrapes never loads them.
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded lazily, on the first scrape */
    const { poolMetrics } = require('./metrics/exposition') as typeof import('./metrics/exposition');
    const { childMetrics } = require('./metrics/children') as typeof import('./metrics/children');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const snapshots: unknown[][] = [];
    for (const board of this.scoreboard.boards) if (board.metrics) snapshots.push(board.metrics);
    if (this.scoreboard.retired.size > 0) snapshots.push(this.scoreboard.retired.toJSON());
    if (this.#registry) snapshots.push(await this.#registry.getMetricsAsJSON());
    return poolMetrics(this.scoreboard, this.pool) + (await childMetrics(snapshots));
  }

  /** `ppi.exportMetrics()` in the manager: its registry is summed with the children's. */
  exportMetrics(source: MetricsSource): void {
    this.#registry = source;
  }

  /** The library's own callbacks; undefined for any other name (the user's handlers serve it). */
  builtinCall(name: string): Promise<CallOutcome> | undefined {
    if (name === STATUS_CALL) return Promise.resolve({ ok: true, result: this.status() });
    if (name === METRICS_CALL) {
      return this.metrics().then(
        (result): CallOutcome => ({ ok: true, result }),
        (err: Error): CallOutcome => ({ ok: false, code: 'HANDLER_ERROR', message: err.message }),
      );
    }
    return undefined;
  }

  /** Opens the control socket once (the first start()); undefined when there is none to open. */
  openControl(): Promise<unknown> | undefined {
    const path = this.options.controlSocket;
    if (path === undefined || this.#control) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: only a manager with a control socket needs it
    const { ControlServer: Server } = require('./control/server') as typeof import('./control/server');
    this.#control = Server.open(path, this.#context());
    this.#control.catch(() => (this.#control = undefined)); // start() rejects with the error; a later start() tries again
    return this.#control;
  }

  #context(): ControlContext {
    const { options } = this;
    return {
      pool: this.pool,
      status: () => this.status(),
      metrics: () => this.metrics(),
      watch: (fn) => this.scoreboard.watch(fn),
      reloadable: options.trapSignals.get('HUP') != null,
      eventId: this.eventId,
      beats: options.beatInterval !== null,
      config: () => ({
        maxWorkers: this.pool.maxWorkers,
        spawnInterval: options.spawnInterval,
        errRespawnInterval: options.errRespawnInterval,
        trapSignals: Object.fromEntries([...options.trapSignals].map(([name, action]) => [name, action])),
        callbacks: [...options.callbacks.keys()],
        callbackTimeout: options.callbackTimeout ?? null,
        gracePeriod: options.gracePeriod,
        balance: options.balance,
        lifetimesPerChild: options.lifetimesPerChild ?? DEFAULTS.lifetimesPerChild,
        maxChildMemory: options.maxChildMemory ?? null,
        lifetimeTimeout: options.lifetimeTimeout ?? null,
        beatInterval: options.beatInterval,
        listeners: this.pool.listeners.map((listener) => listener.address),
      }),
    };
  }
}
