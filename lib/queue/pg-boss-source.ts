import type { JobSink, JobSource, SchedulerView } from '../cli/job-source';
import type { ResultRecord } from '../cli/callbacks';
import { loadPgBoss, type BossApi, type BossJob } from './pg-boss';
import { completeManySql, putBackSql, remainingSql } from './sql';

export interface PgBossSourceOptions {
  /** postgres://… */
  url: string;
  queue: string;
  /** At most this many jobs per fetch. */
  maxBatch: number;
  /** At least this many jobs per fetch (the number of workers), unless maxBatch is lower. */
  minBatch: number;
  /** Keep waiting for new jobs until stopped, instead of ending when the queue is empty. */
  follow: boolean;
  /** How often an idle manager looks for jobs again, ms. */
  pollMs: number;
  /** pg-boss's schema. */
  schema: string;
  /** How often pg-boss's maintenance (which expires the leases of dead hosts) runs, seconds. */
  maintenanceIntervalSeconds: number | undefined;
  /** Writes one line to stderr. */
  log(message: string): void;
}

/** Fetch about this much work at a time (at the rate jobs finish here). */
const TARGET_QUEUED_MS = 250;
/** Connections per manager. */
export const POOL_SIZE = 4;
/** At most this many jobs completed by one statement. */
const MAX_COMPLETE_BATCH = 500;
/** The rate is measured over the last this many settled jobs. */
const RATE_WINDOW = 32;

/** Give up storing an outcome after this long (the lease then returns the job to the queue). */
const SETTLE_GIVE_UP_MS = 10 * 60_000;
const MAX_BACKOFF_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Jobs from a pg-boss queue. The manager alone holds the database connection:
 * it fetches jobs in batches as the workers drain them, completes each with
 * `{ result }` or fails it with `{ error }` (pg-boss's retry policy then
 * applies), and on close returns the jobs it fetched but never started.
 */
export class PgBossSource implements JobSource {
  readonly #boss: BossApi;
  /** Jobs fetched here and not yet settled: coordinator index → pg-boss id. */
  readonly #held = new Map<number, string>();
  readonly #writes = new Set<Promise<void>>();
  #sink: JobSink | undefined;
  #view: SchedulerView | undefined;
  #fetching = false;
  #pollTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #ended = false;
  #completed = 0;
  #failed = 0;
  #returned = 0;
  #lateFailures = 0;
  #lastErrorLog = 0;
  #failures = 0;
  /** When the last RATE_WINDOW jobs settled (ms), oldest first. */
  readonly #settledAt: number[] = [];
  /** Completions not yet sent: one statement is in flight at a time, the next takes all that came meanwhile. */
  readonly #toComplete: Array<{ id: string; output: string }> = [];
  #completing = false;

  private constructor(private readonly options: PgBossSourceOptions, Boss = loadPgBoss()) {
    this.#boss = new Boss({
      connectionString: options.url,
      schema: options.schema,
      application_name: 'prefork-ipc',
      // One fetch, one complete statement, fails and returns, pg-boss's maintenance: 4 connections at most.
      max: POOL_SIZE,
      // Cron schedules are not ours to run; pg-boss's maintenance (lease expiry, archiving) is.
      schedule: false,
      ...(options.maintenanceIntervalSeconds !== undefined && { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }),
    });
    // pg's pool reports a dropped connection (a Postgres restart) as an 'error' event; without a listener it would end the process.
    this.#boss.on('error', (error) => this.#logError(`pg-boss: ${error.message}`));
  }

  /** Connects (creating or migrating pg-boss's schema if needed) and checks that the queue exists. */
  static async connect(options: PgBossSourceOptions): Promise<PgBossSource> {
    const source = new PgBossSource(options);
    await source.#boss.start();
    if (!(await source.#boss.getQueue(options.queue))) {
      await source.#boss.stop({ graceful: false });
      throw new Error(`the queue ${JSON.stringify(options.queue)} does not exist (prefork-ipc enqueue creates it)`);
    }
    return source;
  }

  open(sink: JobSink, view: SchedulerView): void {
    this.#sink = sink;
    this.#view = view;
    this.demand();
  }

  /**
   * How many jobs to fetch next: about TARGET_QUEUED_MS of work at the rate
   * jobs finish here, at least one per worker, at most maxBatch. Short jobs
   * thus cost a fraction of a fetch each, while long ones are not hoarded: a
   * job waiting here is unavailable to other hosts, and its lease runs from
   * the fetch.
   */
  get batchSize(): number {
    const { minBatch, maxBatch } = this.options;
    const times = this.#settledAt;
    let wanted = minBatch;
    if (times.length >= 2) {
      const spanMs = Math.max(1, times[times.length - 1] - times[0]);
      wanted = Math.ceil(((times.length - 1) / spanMs) * TARGET_QUEUED_MS);
    }
    return Math.max(1, Math.min(maxBatch, Math.max(minBatch, wanted)));
  }

  demand(): void {
    if (this.#closed || this.#ended || this.#fetching || this.#pollTimer) return;
    const batch = this.batchSize;
    // Fetch again once half a batch (and at least one job per worker) is left.
    if (this.#view!.queued >= Math.max(1, Math.min(batch, this.options.minBatch), Math.floor(batch / 2))) return;
    this.#fetching = true;
    void this.#fetch(batch).finally(() => {
      this.#fetching = false;
    });
  }

  settle(record: ResultRecord): void {
    const id = this.#held.get(record.job);
    if (id === undefined) return;
    this.#held.delete(record.job);
    const { queue } = this.options;
    this.#settledAt.push(Date.now());
    if (this.#settledAt.length > RATE_WINDOW) this.#settledAt.shift();
    if (record.ok) {
      this.#completed++;
      // Always { result }, so that any value, null included, reads back as it was (pg-boss's complete() would wrap a non-object in { value }).
      const output = JSON.stringify({ result: record.result === undefined ? null : record.result });
      this.#toComplete.push({ id, output });
      this.#completeBatch();
    } else {
      this.#failed++;
      void this.#write(`fail ${id}`, () => this.#boss.fail(queue, id, { error: record.error }));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    const ids = this.#view ? this.#view.takeQueued().map((index) => this.#take(index)) : [];
    this.#putBack(ids.filter((id): id is string => id !== undefined));
    this.#end();
  }

  async finish(): Promise<{ summary: string; lateFailures: number }> {
    while (this.#writes.size > 0 || this.#fetching || this.#toComplete.length > 0) {
      this.#completeBatch();
      await Promise.all([...this.#writes]);
      await sleep(1); // a finished write may start the next batch
    }
    await this.#boss.stop({ graceful: false });
    const returned = this.#returned > 0 ? `, ${this.#returned} returned to the queue unstarted` : '';
    const summary = `queue ${this.options.queue}: ${this.#completed} completed, ${this.#failed} failed here${returned}`;
    return { summary, lateFailures: this.#lateFailures };
  }

  async #fetch(batchSize: number): Promise<void> {
    const { queue } = this.options;
    let jobs: BossJob[];
    try {
      // pg-boss 10's fetch returns [] instead of throwing when the query fails (Postgres down):
      // an empty answer is therefore confirmed below by a query that does throw.
      jobs = await this.#boss.fetch(queue, { batchSize, includeMetadata: true });
    } catch (error) {
      this.#logError(`fetch: ${(error as Error).message}`);
      return this.#poll(this.#backoff());
    }
    if (this.#closed) return this.#putBack(jobs.map((job) => job.id));
    if (jobs.length === 0) return this.#idle();
    this.#failures = 0;
    for (const job of jobs) {
      const index = this.#sink!.record({ line: 0, ok: true, job: job.data }, { attempt: job.retryCount + 1, id: job.id });
      this.#held.set(index, job.id);
    }
    // The coordinator asks again (demand) as soon as the queued jobs run low.
    setImmediate(() => this.demand());
  }

  /** The queue had nothing to fetch: end, or look again later. */
  async #idle(): Promise<void> {
    if (this.options.follow) return this.#poll(this.options.pollMs);
    let remaining: number;
    try {
      const answer = await this.#sql().executeSql(remainingSql(this.options.schema), [this.options.queue, [...this.#held.values()]]);
      if (!answer) throw new Error('the database connection is closed');
      remaining = Number(answer.rows[0]?.remaining);
      this.#failures = 0;
    } catch (error) {
      this.#logError(`checking the queue: ${(error as Error).message}`);
      return this.#poll(this.#backoff());
    }
    if (this.#closed) return;
    // Jobs other hosts run, or that wait for a retry, may still come back here (a dead host's lease expires).
    if (remaining > 0) return this.#poll(this.options.pollMs);
    this.#end();
  }

  #poll(ms: number): void {
    if (this.#closed || this.#ended) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      this.demand();
    }, ms);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#sink?.end();
  }

  #take(index: number): string | undefined {
    const id = this.#held.get(index);
    this.#held.delete(index);
    return id;
  }

  /**
   * Returns fetched, never started jobs to the queue at once. pg-boss 10 has
   * no call for this (fail() would use up a retry, cancel() + resume() would
   * count one on the next fetch); the statement undoes exactly what fetch did.
   */
  #putBack(ids: string[]): void {
    if (ids.length === 0) return;
    const { schema, queue } = this.options;
    void this.#write(`return ${ids.length} jobs`, async () => {
      const answer = await this.#sql().executeSql(putBackSql(schema), [queue, ids]);
      this.#returned += Number(answer?.rows[0]?.returned ?? 0);
    }, 30_000);
  }

  /** Sends the waiting completions in one statement, unless one is in flight already. */
  #completeBatch(): void {
    if (this.#completing || this.#toComplete.length === 0) return;
    this.#completing = true;
    let pending = this.#toComplete.splice(0, MAX_COMPLETE_BATCH);
    void this.#write(`complete ${pending.length} jobs`, async () => {
      try {
        await this.#completeMany(pending);
      } catch (error) {
        if (!isDataError(error)) throw error; // the connection: retried as a whole
        // One output Postgres refuses (jsonb cannot hold \u0000, a value too large…) must not block the others.
        for (const one of [...pending]) {
          try {
            await this.#completeMany([one]);
          } catch (single) {
            if (!isDataError(single)) throw single;
            this.#completed--;
            this.#failed++;
            this.#lateFailures++;
            void this.#write(`fail ${one.id}`, () => this.#boss.fail(this.options.queue, one.id, { error: `the handler's result cannot be stored: ${(single as Error).message}` }));
          }
          pending = pending.filter((c) => c !== one);
        }
      }
    }).then(() => {
      this.#completing = false;
      this.#completeBatch();
    });
  }

  async #completeMany(batch: Array<{ id: string; output: string }>): Promise<void> {
    const { schema, queue } = this.options;
    const ids = batch.map((c) => c.id);
    const answer = await this.#sql().executeSql(completeManySql(schema), [queue, ids, batch.map((c) => c.output)]);
    if (!answer) throw new Error('the database connection is closed');
    if (answer.rows.length < ids.length) {
      const done = new Set(answer.rows.map((row) => row.id));
      const late = ids.filter((id) => !done.has(id));
      this.options.log(`${late.length} jobs were no longer active here when they completed (their lease had expired), and were left as they were: ${late.join(', ')}`);
    }
  }

  /** Runs a write, retrying with backoff while the database is unreachable (a restart), for at most `giveUpMs`. */
  #write(what: string, run: () => Promise<unknown>, giveUpMs = SETTLE_GIVE_UP_MS): Promise<void> {
    const started = Date.now();
    const attempt = async (): Promise<void> => {
      for (let tries = 0; ; tries++) {
        try {
          await run();
          return;
        } catch (error) {
          if (Date.now() - started > giveUpMs) {
            this.options.log(`gave up on ${what} after ${Math.round((Date.now() - started) / 1000)} s: ${(error as Error).message}`);
            return;
          }
          this.#logError(`${what}: ${(error as Error).message} (retrying)`);
          await sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(tries, 6)));
        }
      }
    };
    const promise = attempt().finally(() => this.#writes.delete(promise));
    this.#writes.add(promise);
    return promise;
  }

  #backoff(): number {
    return Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.#failures++, 5));
  }

  #sql() {
    return this.#boss.getDb();
  }

  /** At most one error line a second: a database restart otherwise prints one per query. */
  #logError(message: string): void {
    const now = Date.now();
    if (now - this.#lastErrorLog < 1000) return;
    this.#lastErrorLog = now;
    this.options.log(message);
  }
}

/** A statement Postgres refused for its data (SQLSTATE class 22, or 54: too large), not for the connection. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|54)/.test(code);
}
