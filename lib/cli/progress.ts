import { Presets, SingleBar } from 'cli-progress';

/** The --progress bar on stderr: done/total, failures, jobs per second and ETA. */
export class Progress {
  readonly #bar: SingleBar;
  readonly #startedAt = Date.now();
  #total = 0;
  #done = 0;
  #failed = 0;

  /** `queue`: the total is not known ahead, so the bar shows jobs done / failed / running instead of an ETA. */
  constructor(stream: NodeJS.WriteStream, queue = false) {
    this.#bar = new SingleBar(
      {
        stream,
        format: queue
          ? '{value} done | {failed} failed | {running} running | {rate}/s'
          : '{bar} {value}/{total} done | {failed} failed | {rate}/s | ETA {eta_formatted}',
        hideCursor: stream.isTTY ? true : null,
        // When stderr is not a terminal but --progress was asked for, print a line a second.
        noTTYOutput: true,
        notTTYSchedule: 1000,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
  }

  /** One more job was read. (The bar starts with the first: a total of 0 would draw it full.) */
  addJob(): void {
    if (this.#total++ === 0) this.#bar.start(1, 0, { failed: 0, rate: '0.0', running: 0 });
    else this.#bar.setTotal(this.#total);
  }

  finished(ok: boolean): void {
    this.#done++;
    if (!ok) this.#failed++;
    const seconds = (Date.now() - this.#startedAt) / 1000;
    this.#bar.update(this.#done, { failed: this.#failed, rate: (seconds > 0 ? this.#done / seconds : 0).toFixed(1) });
  }

  /** Jobs running now (shown in queue mode). */
  running(count: number): void {
    if (this.#total > 0) this.#bar.update({ running: count });
  }

  stop(): void {
    if (this.#total > 0) this.#bar.stop();
  }
}
