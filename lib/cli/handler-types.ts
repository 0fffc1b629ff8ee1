/** What a `prefork-ipc` handler gets besides the job. */
export interface JobContext {
  /** The job's index in the input (0-based, blank lines not counted); results carry it as `job`. */
  index: number;
  /** The input line the job came from (1-based). */
  line: number;
  /** 1 on the first run, 2 on the first retry, and so on. */
  attempt: number;
  /** The pid of the worker process running the job. */
  workerPid: number;
  /** With `--pg-boss`: the job's id in the queue (`index` and `line` then only count the jobs of this manager, and `line` is 0). */
  id?: string;
}

/**
 * The default export of a `prefork-ipc` handler module. Its result must be
 * JSON-serialisable; what it throws becomes the job's `error`.
 */
export type JobHandler<Job = unknown, Result = unknown> = (job: Job, ctx: JobContext) => Result | Promise<Result>;
