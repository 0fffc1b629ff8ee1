import type { ResolvedOptions } from '../options';
import type { SignalName } from '../signals';

/** Forwarding one of these means "stop": a child that ignores it is killed after `gracePeriod`. */
export const STOP_SIGNALS: ReadonlySet<SignalName> = new Set(['TERM', 'INT', 'QUIT']);

/**
 * A gated reload's signal (`gatedReload`, docs/servers.md, "Reloads that wait"): it ended
 * start() and told no child yet. The next start() hands it to the policy (`begin`), which
 * replaces the old children one proven child at a time (reload-plan.ts); with no start()
 * after it (a shutdown: waitAllChildren() or a further signal) it is forwarded as it would
 * have been (`flush`).
 */
export class HeldReload {
  #held: SignalName | undefined;

  constructor(
    private readonly options: Pick<ResolvedOptions, 'gatedReload' | 'trapSignals'>,
    /** The next start() began: the reload is the policy's, with the signal and interval `name` maps to. */
    private readonly begun: (signal: SignalName, intervalMs: number) => void,
    /** No start() came: forward `name`. */
    private readonly forward: (name: SignalName) => void,
  ) {}

  /**
   * A gated reload: a trapped signal that is not itself a stop (HUP, USR2…) mapped to a stop
   * signal, with `gatedReload` on. Its children are not told now.
   */
  isGated(name: SignalName): boolean {
    if (!this.options.gatedReload || STOP_SIGNALS.has(name)) return false;
    const action = this.options.trapSignals.get(name);
    return action !== null && action !== undefined && 'signal' in action && STOP_SIGNALS.has(action.signal);
  }

  /** `name` ended start(): held until the next start() or a shutdown (a newer one replaces it). */
  hold(name: SignalName): void {
    this.#held = name;
  }

  /** start() begins a generation: the held reload, if any, goes to the policy. */
  begin(): void {
    const name = this.#take();
    if (name === undefined) return;
    const action = this.options.trapSignals.get(name);
    if (action && 'signal' in action) this.begun(action.signal, action.intervalMs);
  }

  /** A held reload signal with no start() after it (the loop ended: a shutdown): forwarded as it would have been. */
  flush(): void {
    const name = this.#take();
    if (name !== undefined) this.forward(name);
  }

  #take(): SignalName | undefined {
    const name = this.#held;
    this.#held = undefined;
    return name;
  }
}
