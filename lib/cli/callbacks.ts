/**
 * What the CLI's manager and its workers say to each other through
 * PreforkIPC callbacks.
 */

/** A job handed to a worker. */
export interface Assignment {
  index: number;
  line: number;
  attempt: number;
  job: unknown;
  /** The job's id in its queue (`--pg-boss` mode). */
  id?: string;
}

/** How one job went, as the worker saw it. */
export type Outcome = { ok: true; result: unknown } | { ok: false; error: string };

/** Worker → manager, callback `next`: the result of the previous job (if any), and whether it wants another. */
export interface NextRequest {
  done?: { index: number; attempt: number; outcome: Outcome };
  more: boolean;
}

/** One line of the CLI's output. */
export type ResultRecord = { job: number; ok: true; result: unknown } | { job: number; ok: false; error: string };

export const CALLBACK_NEXT = 'next';
export const CALLBACK_LOAD_FAILED = 'handlerFailed';
