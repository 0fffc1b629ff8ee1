import { CallbackError } from '../errors';
import type { PreforkView } from '../view';
import type { JobHandler } from './handler-types';
import { loadHandler } from './load-handler';
import { CALLBACK_LOAD_FAILED, CALLBACK_NEXT, type Assignment, type NextRequest, type Outcome } from './callbacks';

function describe(error: unknown): string {
  if (error instanceof Error) return error.message ? `${error.name}: ${error.message}` : error.name;
  try {
    return `thrown: ${JSON.stringify(error)}`;
  } catch {
    return `thrown: ${String(error)}`;
  }
}

async function runJob(handler: JobHandler, assignment: Assignment): Promise<Outcome> {
  let result: unknown;
  try {
    result = await handler(assignment.job, {
      index: assignment.index,
      line: assignment.line,
      attempt: assignment.attempt,
      workerPid: process.pid,
      ...(assignment.id !== undefined && { id: assignment.id }),
    });
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
  try {
    if (typeof result === 'bigint') throw new TypeError('a bigint');
    JSON.stringify(result);
  } catch (err) {
    return { ok: false, error: `the handler's result is not JSON-serialisable: ${(err as Error).message}` };
  }
  return { ok: true, result };
}

/**
 * What a worker process of the CLI runs: the same bin/prefork-ipc.js,
 * re-executed by the manager. It never reads the job input; it asks the manager for one job
 * at a time (the answer to `next` also carries the previous result, so a job
 * costs one round trip), and leaves after `maxJobs` jobs or when told none are left.
 */
export async function runJobLoop(ppi: PreforkView, handlerFile: string, maxJobs: number): Promise<never> {
  // Standard output carries the results: the coordinator spawns workers with their fd 1 on its
  // stderr (childStdout: 'stderr'), so a handler's output never mixes into them.
  // Ctrl-C reaches the whole process group (and a service manager may TERM the whole group):
  // the manager decides what a first and a second one mean, and kills workers with SIGKILL.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});

  await ppi.start();
  let handler: JobHandler;
  try {
    handler = await loadHandler(handlerFile);
  } catch (err) {
    await ppi.callback(CALLBACK_LOAD_FAILED, err instanceof Error ? (err.stack ?? err.message) : String(err));
    return ppi.finish(1);
  }

  let request: NextRequest = { more: true };
  let jobsDone = 0;
  for (;;) {
    let assignment: Assignment | null;
    try {
      assignment = (await ppi.callback(CALLBACK_NEXT, request)) as Assignment | null;
    } catch (err) {
      // A result JSON cannot carry (a BigInt, a cycle, too large): report that instead.
      if (!(err instanceof CallbackError) || err.code !== 'BAD_PAYLOAD' || !request.done) throw err;
      const error = `the handler's result cannot be sent: ${err.message}`;
      request = { ...request, done: { ...request.done, outcome: { ok: false, error } } };
      continue;
    }
    if (!assignment) break;
    // The scoreboard (prefork-ipc ctl status): which job each worker runs; a message only when busy/idle flips.
    ppi.setStatus('busy', assignment.id !== undefined ? `job ${assignment.id}` : `job ${assignment.index}`);
    const outcome = await runJob(handler, assignment);
    ppi.setStatus('idle');
    jobsDone++;
    request = { done: { index: assignment.index, attempt: assignment.attempt, outcome }, more: maxJobs === 0 || jobsDone < maxJobs };
  }
  return ppi.finish(0);
}
