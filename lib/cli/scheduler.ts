import type { Assignment, NextRequest, ResultRecord } from './callbacks';

type Job = Assignment;

interface Running {
  job: Job;
  timer: NodeJS.Timeout | undefined;
}

export interface SchedulerEvents {
  /** A job is over for good: succeeded, or failed with no retry left. */
  result(record: ResultRecord): void;
  /** How many workers the jobs at hand could use (queued + running). */
  demand(workers: number): void;
  /** A job ran past the timeout: its worker must go. */
  kill(pid: number): void;
  /** Every job read has a result and the input has ended. */
  allDone(): void;
}

/**
 * The manager's bookkeeping for the CLI: which jobs wait, which worker runs
 * which job, retries and timeouts. It knows nothing of processes; the CLI
 * wires it to PreforkIPC callbacks and onChildReap.
 */
export class Scheduler {
  readonly #queue: Job[] = [];
  readonly #running = new Map<number, Running>();
  /** Workers that asked for a job while none was queued, oldest first. */
  readonly #waiting = new Map<number, (assignment: Assignment | null) => void>();
  #inputEnded = false;
  #stopped = false;
  #allDone = false;

  constructor(
    private readonly retries: number,
    private readonly timeoutMs: number | undefined,
    private readonly events: SchedulerEvents,
  ) {}

  get queued(): number {
    return this.#queue.length;
  }

  get runningCount(): number {
    return this.#running.size;
  }

  /** Workers waiting for a job. */
  get waiting(): number {
    return this.#waiting.size;
  }

  add(index: number, line: number, job: unknown, attempt = 1, id?: string): void {
    this.#queue.push({ index, line, attempt, job, ...(id !== undefined && { id }) });
    this.#dispatch();
  }

  /** Removes every job not yet given to a worker and returns their indices (they go back to their queue). */
  takeQueued(): number[] {
    return this.#queue.splice(0).map((job) => job.index);
  }

  endInput(): void {
    this.#inputEnded = true;
    this.#dispatch();
  }

  /** No more jobs are handed out; running ones may still report. */
  stop(): void {
    this.#stopped = true;
    for (const [pid, wake] of this.#waiting) {
      this.#waiting.delete(pid);
      wake(null);
    }
    // With no job running, no report will come to notice we are done: tell now.
    this.#checkDone();
  }

  /** Callback `next` from worker `pid`: records its last result, resolves with its next job or null. */
  next(pid: number, request: NextRequest): Promise<Assignment | null> {
    const running = this.#running.get(pid);
    if (request.done && running && running.job.index === request.done.index && running.job.attempt === request.done.attempt) {
      this.#running.delete(pid);
      clearTimeout(running.timer);
      const { outcome } = request.done;
      if (outcome.ok) this.events.result({ job: running.job.index, ok: true, result: outcome.result });
      else this.#failed(running.job, outcome.error);
    }
    const promise = request.more && !this.#stopped && !this.#allDone
      ? new Promise<Assignment | null>((resolve) => this.#waiting.set(pid, resolve))
      : Promise.resolve(null);
    this.#dispatch();
    return promise;
  }

  /** Worker `pid` ended with `status`; the job it was running, if any, failed. */
  workerGone(pid: number, status: number, why?: string): void {
    this.#waiting.get(pid)?.(null);
    this.#waiting.delete(pid);
    const running = this.#running.get(pid);
    if (!running) return this.#dispatch();
    this.#running.delete(pid);
    clearTimeout(running.timer);
    this.#failed(running.job, why ?? `the worker process (pid ${pid}) exited with status ${status} while running the job`);
    this.#dispatch();
  }

  /** Marks every running job as failed with `why`, no retry (the workers are being killed). */
  abandonRunning(why: string): void {
    for (const [pid, running] of this.#running) {
      this.#running.delete(pid);
      clearTimeout(running.timer);
      this.events.result({ job: running.job.index, ok: false, error: why });
    }
    this.#checkDone();
  }

  #failed(job: Job, error: string): void {
    if (job.attempt <= this.retries && !this.#stopped) {
      this.#queue.unshift({ ...job, attempt: job.attempt + 1 });
      return;
    }
    const tries = job.attempt > 1 ? ` (after ${job.attempt} attempts)` : '';
    this.events.result({ job: job.index, ok: false, error: error + tries });
  }

  #dispatch(): void {
    while (!this.#stopped && this.#queue.length > 0 && this.#waiting.size > 0) {
      const [pid, wake] = this.#waiting.entries().next().value as [number, (a: Assignment | null) => void];
      this.#waiting.delete(pid);
      const job = this.#queue.shift()!;
      const running: Running = { job, timer: undefined };
      if (this.timeoutMs !== undefined) {
        const limit = this.timeoutMs;
        running.timer = setTimeout(() => this.#timedOut(pid, job, limit), limit);
      }
      this.#running.set(pid, running);
      wake({ index: job.index, line: job.line, attempt: job.attempt, job: job.job, ...(job.id !== undefined && { id: job.id }) });
    }
    this.events.demand(this.#stopped ? 0 : this.#queue.length + this.#running.size);
    this.#checkDone();
  }

  #timedOut(pid: number, job: Job, limit: number): void {
    const running = this.#running.get(pid);
    if (running?.job !== job) return;
    this.#running.delete(pid);
    this.#failed(job, `timed out after ${limit} ms; the worker was killed`);
    this.events.kill(pid);
    this.#dispatch();
  }

  #checkDone(): void {
    if (this.#allDone || this.#running.size > 0) return;
    if (!(this.#stopped || (this.#inputEnded && this.#queue.length === 0))) return;
    this.#allDone = true;
    for (const [pid, wake] of this.#waiting) {
      this.#waiting.delete(pid);
      wake(null);
    }
    this.events.allDone();
  }
}
