/**
 * A child's side of the scoreboard: its coarse status (`ppi.setStatus()`, or
 * `ppi.serve()` keeping it) and the periodic beat (the hello's `beatInterval`).
 *
 * The beat comes from a timer in this process's own event loop, so a child
 * whose loop is stuck stops beating: that is what the hung-child watchdog
 * watches, and the RSS in each beat is what memory recycling reads. The timer
 * is unref'd (it never keeps a child alive) and is the only periodic work:
 * one `memoryUsage()` (≈ 10 µs, a read of /proc/self/stat) and one
 * `eventLoopUtilization()` per beat.
 *
 * A status message goes out when the coarse state flips, at most one per
 * STATUS_INTERVAL_MS (the first at once, the last one after the interval if
 * the state is still not what the manager last heard): a child switching
 * busy/idle per HTTP request sends at most 10 a second, never one per request.
 * Counters (served, in flight) ride on the status messages and the beat.
 * With `beatInterval: null` the child sends neither: the scoreboard is off.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { BeatMessage, StatusMessage } from '../protocol/messages';
import type { MetricsRegistry } from '../view';

/** Least time between two status messages, in ms. */
export const STATUS_INTERVAL_MS = 100;

/** The longest `state` and `note` sent: the scoreboard is for people and dashboards, not payloads. */
const MAX_TEXT = 200;

/** What prom-client's Registry offers that the beat uses (typed in view.ts: prom-client is an optional peer). */
export type MetricsSource = MetricsRegistry;

/** Under serve(): reads the real number of requests in progress (see serve.ts). */
export type StatusProbe = () => { inflight: number; served: number; note?: string; since?: number };

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`ppi.setStatus(): ${what} must be a string, got ${typeof value}`);
  return value.length > MAX_TEXT ? value.slice(0, MAX_TEXT) : value;
}

export class ChildBeat {
  state = 'idle';
  note: string | undefined;
  since = Date.now();
  served = 0;
  inflight = 0;

  /** The state the manager last heard (by a status message or a beat). */
  #heard = 'idle';
  #lastStatusAt = 0;
  #statusTimer: NodeJS.Timeout | undefined;
  #beatTimer: NodeJS.Timeout | undefined;
  #seq = 0;
  #elu: EventLoopUtilization | undefined;
  #probe: StatusProbe | undefined;
  #metrics: MetricsSource | undefined;
  #collecting = false;
  /** The hello asked for beats: without them (`beatInterval: null`) nothing is sent, status messages included. */
  #enabled = false;

  constructor(private readonly send: (message: BeatMessage | StatusMessage) => void) {}

  /** Starts the beat (at the hello): one now, then one per `intervalMs`. */
  start(intervalMs: number): void {
    if (this.#beatTimer) return;
    this.#enabled = true;
    this.#elu = performance.eventLoopUtilization();
    this.#beat();
    this.#beatTimer = setInterval(() => this.#beat(), intervalMs);
    this.#beatTimer.unref();
  }

  /** `ppi.setStatus(state, note)`. Leaving `'busy'` counts one served. */
  setStatus(state: unknown, note?: unknown): void {
    const next = text(state, 'state');
    this.note = note === undefined ? undefined : text(note, 'note');
    if (next !== this.state) {
      if (this.state === 'busy') this.served++;
      this.state = next;
      this.since = Date.now();
      this.inflight = next === 'busy' ? 1 : 0;
    }
    this.#flipped();
  }

  /** serve(): the probe that counts requests in progress; the beat and the status checks call it. */
  setProbe(probe: StatusProbe): void {
    this.#probe = probe;
  }

  /** serve(): a request arrived. Per request: a comparison, and a message only when it makes the child busy. */
  requestStarted(): void {
    if (this.state === 'busy') return;
    this.state = 'busy';
    this.since = Date.now();
    this.#flipped();
  }

  /** Ship this registry's metrics with every beat (`ppi.exportMetrics()`). */
  exportMetrics(source: MetricsSource): void {
    this.#metrics = source;
  }

  /**
   * The process is about to exit: with exported metrics, one last beat carries what they counted
   * since the previous one, so a child that ends normally loses nothing (only a SIGKILL loses up
   * to one beat's worth). Without metrics nothing is sent: a lifetime's end costs no extra read.
   */
  async last(): Promise<void> {
    const source = this.#metrics;
    if (!source || !this.#beatTimer) return;
    clearInterval(this.#beatTimer);
    let metrics: unknown[] | undefined;
    try {
      metrics = await source.getMetricsAsJSON();
    } catch {
      return;
    }
    this.#refresh();
    const memory = process.memoryUsage();
    const elu = this.#elu ? performance.eventLoopUtilization(performance.eventLoopUtilization(), this.#elu).utilization : 0;
    this.send({
      type: 'beat',
      seq: this.#seq++,
      state: this.state,
      note: this.note,
      since: this.since,
      served: this.served,
      inflight: this.inflight,
      elu: Number.isFinite(elu) ? Math.round(elu * 1000) / 1000 : 0,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      metrics,
    });
  }

  #refresh(): void {
    if (!this.#probe) return;
    const { inflight, served, note, since } = this.#probe();
    this.inflight = inflight;
    this.served = served;
    if (note !== undefined) this.note = note;
    if (inflight > 0) {
      if (this.state !== 'busy') this.state = 'busy';
      if (since !== undefined) this.since = since;
    } else if (this.state === 'busy') {
      this.state = 'idle';
      this.since = Date.now();
    }
  }

  #flipped(): void {
    if (this.#statusTimer || !this.#enabled) return;
    const wait = this.#lastStatusAt + STATUS_INTERVAL_MS - Date.now();
    if (wait <= 0 && !this.#probe) return this.#sendStatus();
    // Under serve() the state is only known to be idle again once a probe sees no request in
    // progress, so a busy child is looked at again each interval (a probe walks the connections).
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined;
      this.#sendStatus();
    }, Math.max(wait, this.#probe ? STATUS_INTERVAL_MS : 0));
    this.#statusTimer.unref();
  }

  #sendStatus(): void {
    this.#refresh();
    if (this.state !== this.#heard) {
      this.#heard = this.state;
      this.#lastStatusAt = Date.now();
      const message: StatusMessage = { type: 'status', state: this.state, note: this.note, since: this.since, served: this.served, inflight: this.inflight };
      this.send(message);
    }
    if (this.#probe && this.state === 'busy') this.#flipped();
  }

  #beat(): void {
    if (this.#collecting) return; // the previous beat's metrics are still being collected
    this.#refresh();
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, this.#elu).utilization;
    this.#elu = now;
    const memory = process.memoryUsage();
    const message: BeatMessage = {
      type: 'beat',
      seq: this.#seq++,
      state: this.state,
      note: this.note,
      since: this.since,
      served: this.served,
      inflight: this.inflight,
      elu: Number.isFinite(elu) ? Math.round(elu * 1000) / 1000 : 0,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
    };
    this.#heard = this.state;
    const source = this.#metrics;
    if (!source) return this.send(message);
    this.#collecting = true;
    source.getMetricsAsJSON().then(
      (metrics) => {
        this.#collecting = false;
        this.send({ ...message, metrics });
      },
      () => {
        this.#collecting = false;
        this.send(message);
      },
    );
  }
}
