import type { InputRecord } from './job-reader';
import type { ResultRecord } from './callbacks';

/**
 * Where the CLI's jobs come from when they do not come from a file: the
 * coordinator and scheduler stay one piece of code, and a source (the pg-boss
 * queue) feeds them and takes each job's outcome.
 */
export interface JobSink {
  /** A new job; returns the index the coordinator gave it. */
  record(record: InputRecord, extra: { attempt: number; id: string }): number;
  /** No more jobs will come. */
  end(error?: Error): void;
}

/** What a source may see of the scheduler. */
export interface SchedulerView {
  /** Jobs handed in and not yet given to a worker. */
  readonly queued: number;
  /** Workers waiting for a job. */
  readonly waiting: number;
  /** Removes and returns the indices of every job not yet given to a worker. */
  takeQueued(): number[];
}

export interface JobSource {
  /** Starts handing jobs to `sink`. */
  open(sink: JobSink, view: SchedulerView): void;
  /** The number of queued jobs or waiting workers may have changed. */
  demand(): void;
  /** A job is over here for good (succeeded, or failed: the source's retry policy decides what next). */
  settle(record: ResultRecord): void;
  /** Hand out nothing more; jobs not yet started go back at once. */
  close(): void;
  /**
   * The running jobs are being killed (a second SIGINT/SIGTERM): the source
   * takes them back as not run (the queue returns them without using a
   * retry); their failures, reported next, are then ignored.
   */
  abandon?(): void;
  /**
   * Resolves when every outcome and every returned job is stored, with a
   * summary line for stderr and the number of jobs that failed only there
   * (a result the store refused).
   */
  finish(): Promise<{ summary: string; lateFailures: number }>;
}
