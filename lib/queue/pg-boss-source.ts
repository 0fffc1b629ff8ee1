import type { JobSink, JobSource, SchedulerView } from '../cli/job-source';
import type { ResultRecord } from '../cli/callbacks';
import { connectTimeoutMs, withDeadline } from './connect';
import { redact } from './flags';
import { Heartbeat } from './heartbeat';
import { loadPgBoss, pgBossFailSql, pgBossFetchSql, type BossApi, type BossJob } from './pg-boss';
import { completeManySql, fencedFailSql, heartbeatFetchSql, heartbeatSql, putBackSql, remainingSql } from './sql';
import { WakeUp } from './wake-up';

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
  /** How often pg-boss's maintenance (which expires the leases of dead hosts) runs, seconds; undefined: the heartbeat's, else pg-boss's (120). */
  maintenanceIntervalSeconds: number | undefined;
  /** Keep this host's jobs alive every this many seconds, each expiring 2 × this after the last beat (at most at its lease); undefined: no heartbeat. */
  heartbeatSeconds?: number | undefined;
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

/** One job fetched here: the run of it this host holds. */
interface Held {
  id: string;
  /** Its retry count at the fetch: the fencing token of this run (see sql.ts). */
  retryCount: number;
  /** When the fetch started it. */
  startedOn: Date;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Jobs from a pg-boss queue. The manager alone holds the database connection:
 * it fetches jobs in batches as the workers drain them, completes each with
 * `{ result }` or fails it with `{ error }` (pg-boss's retry policy then
 * applies), and on close returns the jobs it fetched but never started.
 */
export class PgBossSource implements JobSource {
  readonly #boss: BossApi;
  /** Jobs fetched here and not yet settled: coordinator index → the run held. */
  readonly #held = new Map<number, Held>();
  readonly #failSql: string;
  /** With a heartbeat: pg-boss's fetch, the fetched jobs expiring 2 beats later. */
  readonly #fetchSql: string | undefined;
  readonly #heartbeat: Heartbeat | undefined;
  /** --follow: LISTEN for enqueue's NOTIFY, so a new job is fetched at once rather than at the next poll. */
  #wakeUp: WakeUp | undefined;
  #woken = false;
  /** The queue's lease (expireInSeconds), known after connect(). */
  leaseSeconds = 900;
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
  /** Runs that ended here after their job had left this host (lease expired): not stored. */
  #notStored = 0;
  #lateFailures = 0;
  #lastErrorLog = 0;
  #failures = 0;
  /** When the last RATE_WINDOW jobs settled (ms), oldest first. */
  readonly #settledAt: number[] = [];
  /** Completions not yet sent: one statement is in flight at a time, the next takes all that came meanwhile. */
  readonly #toComplete: Completion[] = [];
  #completing = false;

  private constructor(private readonly options: PgBossSourceOptions, Boss = loadPgBoss()) {
    this.#failSql = fencedFailSql(pgBossFailSql(options.schema));
    const { heartbeatSeconds } = options;
    if (heartbeatSeconds !== undefined) this.#fetchSql = heartbeatFetchSql(pgBossFetchSql(options.schema));
    // With a heartbeat, a dead host's jobs expire 2 beats after its last one; maintenance every beat returns them soon after.
    const maintenance = options.maintenanceIntervalSeconds ?? heartbeatSeconds;
    this.#boss = new Boss({
      connectionString: options.url,
      schema: options.schema,
      application_name: 'prefork-ipc',
      // One fetch, one complete statement, fails and returns, pg-boss's maintenance: 4 connections at most.
      max: POOL_SIZE,
      connectionTimeoutMillis: connectTimeoutMs(),
      // Cron schedules are not ours to run; pg-boss's maintenance (lease expiry, archiving) is.
      schedule: false,
      ...(maintenance !== undefined && { maintenanceIntervalSeconds: maintenance }),
    });
    if (heartbeatSeconds !== undefined) {
      this.#heartbeat = new Heartbeat(heartbeatSeconds * 1000, () => this.#held.size > 0, () => this.#beat(2 * heartbeatSeconds));
    }
    // pg's pool reports a dropped connection (a Postgres restart) as an 'error' event; without a listener it would end the process.
    this.#boss.on('error', (error) => this.#logError(`pg-boss: ${error.message}`));
  }

  /** Connects (creating or migrating pg-boss's schema if needed) and checks that the queue exists. */
  static async connect(options: PgBossSourceOptions): Promise<PgBossSource> {
    const source = new PgBossSource(options);
    const boss = source.#boss;
    const abandon = () => void boss.stop({ graceful: false }).catch(() => {});
    const queue = await withDeadline(options.url, connectTimeoutMs(), async () => {
      await boss.start();
      return boss.getQueue(options.queue);
    }, abandon);
    if (!queue) {
      await boss.stop({ graceful: false });
      throw new Error(`the queue ${JSON.stringify(options.queue)} does not exist (prefork-ipc enqueue creates it)`);
    }
    const lease = Number(queue.expireInSeconds);
    if (Number.isFinite(lease) && lease > 0) source.leaseSeconds = lease;
    if (options.follow) {
      const wakeUp = new WakeUp({ ...options, connectTimeoutMs: connectTimeoutMs() }, () => source.#wake(), (m) => source.#log(m));
      source.#wakeUp = wakeUp;
      await wakeUp.start();
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
    const held = this.#held.get(record.job);
    if (held === undefined) return;
    this.#held.delete(record.job);
    this.#heartbeat?.update();
    const { id, retryCount } = held;
    this.#settledAt.push(Date.now());
    if (this.#settledAt.length > RATE_WINDOW) this.#settledAt.shift();
    if (record.ok) {
      // Always { result }, so that any value, null included, reads back as it was (pg-boss's complete() would wrap a non-object in { value }).
      const output = JSON.stringify({ result: record.result === undefined ? null : record.result });
      this.#toComplete.push({ id, output, retryCount });
      this.#completeBatch();
    } else {
      void this.#write(`fail ${id}`, () => this.#fail(id, retryCount, record.error));
    }
  }

  /** Fails this host's run of a job (pg-boss's retry policy applies); a job that left this host meanwhile is left as it is. */
  async #fail(id: string, retryCount: number, error: string): Promise<void> {
    const answer = await this.#sql().executeSql(this.#failSql, [this.options.queue, [id], JSON.stringify({ error }), retryCount]);
    if (!answer) throw new Error('the database connection is closed');
    if (Number(answer.rows[0]?.count ?? 0) > 0) this.#failed++;
    else this.#lateRuns([id]);
  }

  /**
   * The running jobs were killed (a second Ctrl-C or SIGTERM): they go back
   * to the queue as if never fetched, their retry not used, as a user
   * stopping a host expects; the failures reported for them afterwards are
   * ignored.
   */
  abandon(): void {
    const held = [...this.#held.values()];
    this.#held.clear();
    this.#heartbeat?.update();
    this.#putBack(held);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    const held = this.#view ? this.#view.takeQueued().map((index) => this.#take(index)) : [];
    this.#putBack(held.filter((job): job is Held => job !== undefined));
    this.#heartbeat?.update();
    this.#end();
  }

  async finish(): Promise<{ summary: string; lateFailures: number }> {
    while (this.#writes.size > 0 || this.#fetching || this.#toComplete.length > 0) {
      this.#completeBatch();
      await Promise.all([...this.#writes]);
      await sleep(1); // a finished write may start the next batch
    }
    await this.#heartbeat?.stop();
    await this.#wakeUp?.close();
    await this.#boss.stop({ graceful: false });
    const returned = this.#returned > 0 ? `, ${this.#returned} returned to the queue unstarted` : '';
    const late = this.#notStored > 0 ? `, ${this.#notStored} runs not stored (their job had left this host: lease expired)` : '';
    // Counted: jobs whose outcome this host stored, not runs (a run that ended after its lease is in `late`).
    const summary = `queue ${this.options.queue}: ${this.#completed} completed, ${this.#failed} failed here${returned}${late}`;
    return { summary, lateFailures: this.#lateFailures };
  }

  async #fetch(batchSize: number): Promise<void> {
    const { queue } = this.options;
    let jobs: BossJob[];
    try {
      // pg-boss 10's fetch returns [] instead of throwing when the query fails (Postgres down):
      // an empty answer is therefore confirmed below by a query that does throw.
      jobs = await this.#fetchJobs(queue, batchSize);
    } catch (error) {
      this.#logError(`fetch: ${(error as Error).message}`);
      return this.#poll(this.#backoff());
    }
    const held = jobs.map((job): Held => ({ id: job.id, retryCount: job.retryCount, startedOn: new Date(job.fetchedOn ?? job.startedOn) }));
    if (this.#closed) return this.#putBack(held);
    if (jobs.length === 0) return this.#idle();
    this.#failures = 0;
    jobs.forEach((job, i) => {
      const index = this.#sink!.record({ line: 0, ok: true, job: job.data }, { attempt: job.retryCount + 1, id: job.id });
      this.#held.set(index, held[i]);
    });
    this.#heartbeat?.update();
    // The coordinator asks again (demand) as soon as the queued jobs run low.
    setImmediate(() => this.demand());
  }

  /** pg-boss's fetch; with a heartbeat, the same statement with the jobs' first expiry 2 beats away. */
  async #fetchJobs(queue: string, batchSize: number): Promise<BossJob[]> {
    if (this.#fetchSql === undefined) return this.#boss.fetch(queue, { batchSize, includeMetadata: true });
    try {
      const answer = await this.#sql().executeSql(this.#fetchSql, [queue, batchSize, 2 * this.options.heartbeatSeconds!]);
      if (!answer) throw new Error('the database connection is closed');
      return answer.rows as unknown as BossJob[];
    } catch (error) {
      // pg-boss's fetch treats a unique violation (a singleton queue's key taken) as nothing to fetch; so does this.
      if ((error as { code?: string }).code === '23505') return [];
      throw error;
    }
  }

  /** The queue had nothing to fetch: end, or look again later. */
  async #idle(): Promise<void> {
    if (this.options.follow) {
      const again = this.#woken;
      this.#woken = false;
      return this.#poll(again ? 0 : this.options.pollMs);
    }
    let remaining: number;
    try {
      const answer = await this.#sql().executeSql(remainingSql(this.options.schema), [this.options.queue]);
      if (!answer) throw new Error('the database connection is closed');
      remaining = Number(answer.rows[0]?.remaining);
      this.#failures = 0;
    } catch (error) {
      this.#logError(`checking the queue: ${(error as Error).message}`);
      return this.#poll(this.#backoff());
    }
    if (this.#closed) return;
    // Jobs running here or elsewhere, or waiting for a retry, may still come back here (one fails, a dead host's lease expires).
    if (remaining > 0) return this.#poll(this.options.pollMs);
    this.#end();
  }

  /** enqueue notified new jobs: an idle manager looks now instead of at its next poll. */
  #wake(): void {
    if (!this.#pollTimer) {
      // A fetch in flight may have looked before the new jobs were committed: if it finds nothing, it looks again at once.
      this.#woken = true;
      return;
    }
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    this.demand();
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

  #take(index: number): Held | undefined {
    const held = this.#held.get(index);
    this.#held.delete(index);
    return held;
  }

  /** One heartbeat for every job held here: each expires `expireInSeconds` from now (at most at its lease). */
  async #beat(expireInSeconds: number): Promise<void> {
    const held = [...this.#held.values()];
    if (held.length === 0) return;
    const { schema, queue } = this.options;
    try {
      await this.#sql().executeSql(heartbeatSql(schema), [queue, held.map((h) => h.id), expireInSeconds, held.map((h) => h.retryCount), held.map((h) => h.startedOn)]);
    } catch (error) {
      this.#logError(`heartbeat: ${(error as Error).message} (next beat in ${expireInSeconds / 2} s)`);
    }
  }

  /** Runs that ended here after their job had left this host: their outcome was not stored. */
  #lateRuns(ids: string[]): void {
    this.#notStored += ids.length;
    this.#log(`${ids.length} jobs were no longer this host's when their run ended here (their lease had expired: they are back in the queue, or ran elsewhere), and were left as they were: ${ids.join(', ')}`);
  }

  /**
   * Returns fetched, never started jobs to the queue at once. pg-boss 10 has
   * no call for this (fail() would use up a retry, cancel() + resume() would
   * count one on the next fetch); the statement undoes exactly what fetch did.
   */
  #putBack(held: Held[]): void {
    if (held.length === 0) return;
    const { schema, queue } = this.options;
    void this.#write(`return ${held.length} jobs`, async () => {
      const answer = await this.#sql().executeSql(putBackSql(schema), [queue, held.map((h) => h.id), held.map((h) => h.retryCount)]);
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
            this.#lateFailures++;
            const why = `the handler's result cannot be stored: ${(single as Error).message}`;
            void this.#write(`fail ${one.id}`, () => this.#fail(one.id, one.retryCount, why));
          }
          pending = pending.filter((c) => c !== one);
        }
      }
    }).then(() => {
      this.#completing = false;
      this.#completeBatch();
    });
  }

  async #completeMany(batch: Completion[]): Promise<void> {
    const { schema, queue } = this.options;
    const ids = batch.map((c) => c.id);
    const answer = await this.#sql().executeSql(completeManySql(schema), [queue, ids, batch.map((c) => c.output), batch.map((c) => c.retryCount)]);
    if (!answer) throw new Error('the database connection is closed');
    this.#completed += answer.rows.length;
    if (answer.rows.length < ids.length) {
      const done = new Set(answer.rows.map((row) => row.id));
      this.#lateRuns(ids.filter((id) => !done.has(id)));
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
            this.#log(`gave up on ${what} after ${Math.round((Date.now() - started) / 1000)} s: ${(error as Error).message}`);
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
    this.#log(message);
  }

  /** Every line goes out without the URL's password (an error from pg may quote the connection string). */
  #log(message: string): void {
    this.options.log(redact(message, this.options.url));
  }
}

interface Completion {
  id: string;
  output: string;
  retryCount: number;
}

/** A statement Postgres refused for its data (SQLSTATE class 22, or 54: too large), not for the connection. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|54)/.test(code);
}
