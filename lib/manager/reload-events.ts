import { observed, publish } from './events';

/**
 * The `reload` channel's begin / step / done. A reload is a trapped signal that
 * is not itself TERM, INT or QUIT (HUP, USR2…, whatever it maps to), or any
 * staggered (`[signal, intervalMs]`) forward; it is done when the last child
 * of the generation it replaced (or an older one) is gone. Tracked only while
 * someone subscribes to `reload` when it begins, so an unobserved manager pays
 * one `hasSubscribers` read per signal and nothing per exit.
 */
export class ReloadEvents {
  /** The newest generation being replaced; undefined when no reload is being watched. */
  #generation: number | undefined;

  constructor(private readonly manager: number) {}

  /** A reload signal was forwarded while generation `generation` ran; `alive` are the children now. */
  begin(generation: number, alive: Iterable<{ generation: number }>): void {
    if (!observed('reload')) return;
    this.#generation = generation;
    publish('reload', { step: 'begin', generation, manager: this.manager, at: Date.now() });
    this.childGone(alive);
  }

  /** The reload's signal reached child `pid`. */
  step(pid: number, generation: number): void {
    if (this.#generation === undefined) return;
    publish('reload', { step: 'step', generation, pid, manager: this.manager, at: Date.now() });
  }

  /** A child is gone (or a reload began): done when no child of a replaced generation is left. */
  childGone(alive: Iterable<{ generation: number }>): void {
    const generation = this.#generation;
    if (generation === undefined) return;
    for (const child of alive) if (child.generation <= generation) return;
    this.#generation = undefined;
    publish('reload', { step: 'done', generation, manager: this.manager, at: Date.now() });
  }
}
