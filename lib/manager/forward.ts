import type { ResolvedOptions } from '../options';
import { nodeSignal, normalizeSignal, type SignalName } from '../signals';
import type { ChildHandle } from './child-handle';
import { STOP_SIGNALS } from './held-reload';
import type { ReloadEvents } from './reload-events';
import type { RoundRobin } from './round-robin';
import { Stagger } from './stagger';

/** What forwarding uses of a child (a `ChildHandle`). */
export type SignalTarget = Pick<ChildHandle, 'pid' | 'generation' | 'stopSent' | 'slotReleased' | 'kill' | 'killLater'>;

/** What forwarding reads from the manager. */
export interface ForwardHost {
  readonly children: ReadonlyMap<number, SignalTarget>;
  generation(): number;
  /** The round-robin dealer, once the sockets are open (undefined in kernel mode). */
  dealer(): RoundRobin | undefined;
  /** The loop: a slot was released, so a replacement may be spawned. */
  fill(): void;
}

/**
 * Signals on their way to the children: what `trapSignals` maps a trapped
 * signal to (`forward`), and each signal to one child (`tell`), with what a
 * stop signal brings: the gracePeriod's SIGKILL, the end of dealt connections,
 * and a freed slot. The manager decides when; this file knows how.
 */
export class SignalForwarder {
  /** A staggered forward in progress: it runs beside the pool (see stagger.ts). */
  #stagger: { stagger: Stagger<SignalTarget>; signal: SignalName } | undefined;

  constructor(
    private readonly options: Pick<ResolvedOptions, 'trapSignals' | 'gracePeriod'>,
    private readonly reloads: ReloadEvents,
    private readonly host: ForwardHost,
  ) {}

  /**
   * Sends the signal that `trapSignals` maps `name` to. The staggered form
   * sends to the first child now and to the rest from a timer (stagger.ts),
   * and each child it tells to stop gives up its slot at once, so its
   * replacement starts while it drains (docs/servers.md says why). The same
   * staggered signal again extends the running stagger; anything else sends
   * the rest of it at once first (a TERM during a rolling restart).
   */
  forward(name: SignalName, endedStart = false): void {
    const { trapSignals } = this.options;
    const action = trapSignals.has(name) ? trapSignals.get(name) : { signal: normalizeSignal(name) ?? 'TERM', intervalMs: 0 };
    const mapped = action && 'signal' in action ? action : undefined;
    const running = this.#stagger;
    if (running && !(mapped && mapped.intervalMs > 0 && mapped.signal === running.signal)) running.stagger.flush();
    if (!mapped) return;
    const { signal, intervalMs } = mapped;
    // A reload (events.ts): a HUP-style signal that ended start(), or any rolling forward.
    if (endedStart && (intervalMs > 0 || !STOP_SIGNALS.has(name))) this.reloads.begin(this.host.generation(), this.host.children.values());
    // A child already told to stop with this signal is not told again.
    const targets = [...this.host.children.values()].filter((child) => child.stopSent !== signal);
    if (intervalMs === 0) {
      for (const child of targets) this.tell(child, signal, false);
      return;
    }
    if (this.#stagger) return this.#stagger.stagger.extend(targets);
    const stagger = new Stagger(targets, intervalMs, (child) => this.tell(child, signal, true), () => {
      if (this.#stagger?.stagger === stagger) this.#stagger = undefined;
    });
    this.#stagger = { stagger, signal };
    stagger.run();
  }

  /**
   * Sends `signal`; a stop signal arms the gracePeriod, and with `release` frees the child's slot.
   * A forwarded signal is a reload's step when a reload is being watched (a shrink's is not).
   */
  tell(child: SignalTarget, signal: SignalName, release: boolean, forwarded = true): void {
    if (!child.kill(nodeSignal(signal))) return;
    if (forwarded) this.reloads.step(child.pid, child.generation);
    if (!STOP_SIGNALS.has(signal)) return;
    child.stopSent = signal;
    this.host.dealer()?.withdraw(child.pid); // from now on new connections go to its siblings or successors
    if (this.options.gracePeriod !== null) child.killLater(this.options.gracePeriod, signal);
    if (release && !child.slotReleased) {
      child.slotReleased = true;
      this.host.fill();
    }
  }

  /** Stops a child the pool no longer wants (a shrink, a retirement, a failed start) with TERM's mapping, or TERM when that is not a stop signal. */
  stop(child: SignalTarget, release: boolean): void {
    const term = this.options.trapSignals.get('TERM');
    const signal = term && 'signal' in term && STOP_SIGNALS.has(term.signal) ? term.signal : 'TERM';
    this.tell(child, signal, release, false);
  }
}
