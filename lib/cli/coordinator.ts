import { rewordWarnings } from '../warn';
import { inCommandTerms } from './warnings';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { PreforkView } from '../view';
import type { PreforkOptions } from '../options';
import { exitStatus, nodeSignal } from '../signals';
import type { CliOptions } from './args';
import { JobReader, type InputRecord } from './job-reader';
import type { JobSource } from './job-source';
import { Progress } from './progress';
import { CALLBACK_LOAD_FAILED, CALLBACK_NEXT, type NextRequest, type ResultRecord } from './callbacks';
import { ResultWriter } from './result-writer';
import { Scheduler } from './scheduler';
import { complain, EXIT_FAILED, EXIT_HANDLER_FAILED, EXIT_OK } from './exit-codes';

/** Read ahead of the workers by at most this many queued jobs, then pause the input. */
const READ_AHEAD = 1000;


/**
 * The CLI's side in the manager process: reads jobs, hands them to workers
 * through callbacks, writes results. Constructing it does nothing but wire
 * objects: the same script runs in every worker, where only `preforkOptions()`
 * is used (the workers' side is job-loop.ts).
 */
export class CliCoordinator {
  #ppi: PreforkView | undefined;
  #scheduler: Scheduler | undefined;
  #reader: Pick<JobReader, 'pause' | 'resume' | 'close'> | undefined;
  #writer: ResultWriter | undefined;
  #progress: Progress | undefined;
  #jobsRead = 0;
  #failed = 0;
  #handlerError: string | undefined;
  #stopSignal: string | undefined;
  #finished!: () => void;

  /**
   * `source`: where jobs come from instead of the JOBS file (a pg-boss queue);
   * it takes their outcomes too. Set before `run()`, in the manager only.
   */
  constructor(
    private readonly options: CliOptions,
    public source?: JobSource,
  ) {}

  /** Options for the one PreforkIPC object of this process (manager or worker). */
  preforkOptions(): PreforkOptions {
    return {
      maxWorkers: 0, // raised as jobs arrive, so ten workers are not started for two jobs
      errRespawnInterval: 100,
      // Neither signal is forwarded: running jobs finish, then each worker is told there is nothing left.
      trapSignals: { INT: null, TERM: null },
      gracePeriod: null,
      // Standard output carries the results: a worker's fd 1 is our stderr, so nothing a handler
      // prints (console.log, fs.writeSync(1), a subprocess with inherited stdio) mixes into them.
      childStdout: 'stderr',
      // Workers ignore SIGTERM (see job-loop.ts), so the default policy, SIGTERM to self, would not end them.
      onManagerExit: () => process.exit(EXIT_FAILED),
      callbacks: {
        [CALLBACK_NEXT]: (_ppi, pid, request: NextRequest) => this.#scheduler!.next(pid, request),
        [CALLBACK_LOAD_FAILED]: (_ppi, _pid, message: string) => this.#handlerFailed(message),
      },
      onChildReap: (_ppi, pid, status) => this.#scheduler?.workerGone(pid, status),
      ...(this.options.controlSocket !== undefined && { controlSocket: this.options.controlSocket }),
    };
  }

  /** Runs every job; resolves with the exit status. */
  async run(ppi: PreforkView): Promise<number> {
    const { options } = this;
    this.#ppi = ppi;
    rewordWarnings(inCommandTerms); // the library's warnings, in the command's terms
    const showProgress = options.progress ?? process.stderr.isTTY === true;
    if (showProgress) this.#progress = new Progress(process.stderr, this.source !== undefined);
    this.#writer = new ResultWriter(process.stdout, options.ordered);
    // Whoever read the results went away (`| head`): nothing more can be delivered.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      ppi.signalAllChildren('KILL');
      if (error.code !== 'EPIPE') complain(`cannot write results: ${error.message}`);
      process.exit(EXIT_FAILED);
    });
    const allDone = new Promise<void>((resolve) => (this.#finished = resolve));
    this.#scheduler = new Scheduler(options.retries, options.timeoutMs, {
      result: (record) => this.#result(record),
      demand: (workers) => {
        const wanted = Math.min(options.workers, workers);
        if (wanted > ppi.maxWorkers) ppi.maxWorkers = wanted;
        this.#progress?.running(this.#scheduler?.runningCount ?? 0);
        this.source?.demand();
      },
      kill: (pid) => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone; its reap reports it */
        }
      },
      allDone: () => this.#finished(),
    });
    const end = (error?: Error) => {
      if (error) {
        complain(`reading jobs stopped: ${error.message}`);
        this.#failed++; // the jobs after that point were not run: the run did not succeed
      }
      this.#scheduler!.endInput();
    };
    if (this.source) {
      const { source } = this;
      const scheduler = this.#scheduler;
      this.#reader = { pause() {}, resume() {}, close: () => source.close() };
      source.open(
        { record: (record, extra) => this.#record(record, extra), end },
        { get queued() { return scheduler.queued; }, get waiting() { return scheduler.waiting; }, takeQueued: () => scheduler.takeQueued() },
      );
    } else {
      this.#reader = new JobReader(this.#openInput(), { record: (record) => void this.#record(record), end });
    }

    let completed = false;
    void allDone.then(() => {
      completed = true;
      ppi.stop('TERM'); // trapSignals maps TERM to null: no signal is sent, start() just returns
    });
    await ppi.start();
    if (!completed) this.#interrupted(ppi.signalReceived);
    // From here on, INT or TERM kills the workers that are still running a job.
    process.once('SIGINT', () => this.#killRunning('INT'));
    process.once('SIGTERM', () => this.#killRunning('TERM'));
    await allDone;
    await ppi.waitAllChildren();
    this.#progress?.stop();
    await this.#writer.end(process.stdout);
    if (this.source) {
      const { summary, lateFailures } = await this.source.finish();
      this.#failed += lateFailures;
      complain(summary);
    }

    if (this.#handlerError !== undefined) {
      complain(`cannot load the handler ${options.handler}:\n${this.#handlerError}`);
      return EXIT_HANDLER_FAILED;
    }
    if (this.#stopSignal) return exitStatus(null, nodeSignal(this.#stopSignal));
    return this.#failed > 0 ? EXIT_FAILED : EXIT_OK;
  }

  #openInput(): Readable {
    const { input } = this.options;
    return input === undefined ? process.stdin : createReadStream(input);
  }

  #record(record: InputRecord, extra?: { attempt: number; id: string }): number {
    const index = this.#jobsRead++;
    this.#progress?.addJob();
    if (record.ok) this.#scheduler!.add(index, record.line, record.job, extra?.attempt, extra?.id);
    else this.#result({ job: index, ok: false, error: record.error });
    if (this.#scheduler!.queued >= READ_AHEAD) this.#reader!.pause();
    return index;
  }

  #result(record: ResultRecord): void {
    if (!record.ok) this.#failed++;
    this.#progress?.finished(record.ok);
    if (this.source) this.source.settle(record);
    else this.#writer!.write(record);
    if (this.#scheduler && this.#scheduler.queued < READ_AHEAD / 2) this.#reader?.resume();
  }

  /** First INT/TERM: hand out nothing more, let running jobs finish. A second one kills them. */
  #interrupted(signal: string): void {
    if (this.#stopSignal !== undefined) return;
    this.#stopSignal = signal;
    this.#reader!.close();
    this.#scheduler!.stop();
  }

  #killRunning(signal: string): void {
    this.#stopSignal ??= signal;
    this.source?.abandon?.();
    this.#scheduler!.abandonRunning(`interrupted: the worker was killed by a second SIG${signal}`);
    this.#ppi!.signalAllChildren('KILL');
  }

  #handlerFailed(message: string): void {
    if (this.#handlerError !== undefined) return;
    this.#handlerError = message;
    this.#reader!.close();
    this.#scheduler!.stop();
  }
}
