import { DEFAULTS, type ResolvedOptions } from '../options';
import type { RetireReason } from '../protocol/messages';

/** Why the pool stops a child: defined with the `retire` message it travels in (protocol/messages.ts). */
export type { RetireReason };

/** What the decision looks at, at the end of one of the child's lifetimes. */
export interface RetirementFacts {
  served: number;
  limit: number;
  /** The child's generation is still the running one. */
  current: boolean;
  /** The manager told it to stop (a shrink of maxWorkers, a rolling forward): it only finished its lifetime first. */
  stopping: boolean;
  /** Children alive now, this one included, and the limit. */
  alive: number;
  maxWorkers: number;
  /** The RSS the child reported with its finish, when maxChildMemory is set. */
  rss: number | undefined;
}

/**
 * When a reused child stops being given lifetimes. Decided at the end of each
 * lifetime, from what the child's finish message carried (its RSS) and the
 * pool's state: nothing is polled.
 */
export class Retirement {
  constructor(private readonly options: Pick<ResolvedOptions, 'lifetimesPerChild' | 'lifetimesJitter' | 'maxChildMemory'>) {}

  /**
   * A new process's limit: N plus a whole number from 0 to the jitter, so a
   * pool started together does not recycle together (gunicorn #862).
   */
  limitForNewChild(): number {
    const { lifetimesPerChild = DEFAULTS.lifetimesPerChild, lifetimesJitter = DEFAULTS.lifetimesJitter } = this.options;
    if (lifetimesJitter === 0 || lifetimesPerChild === Infinity) return lifetimesPerChild;
    return lifetimesPerChild + Math.floor(Math.random() * (lifetimesJitter + 1));
  }

  decide(facts: RetirementFacts): RetireReason | undefined {
    if (facts.stopping) return 'stopping';
    if (facts.served >= facts.limit) return 'served';
    // A reused child never crosses into a new generation: reloaded config reaches fresh processes only.
    if (!facts.current) return 'generation';
    if (facts.alive > facts.maxWorkers) return 'maxWorkers';
    const { maxChildMemory } = this.options;
    if (maxChildMemory !== undefined && facts.rss !== undefined && facts.rss > maxChildMemory) return 'memory';
    return undefined;
  }
}
