import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { queueNameProblem, schemaProblem, urlProblem } from '../queue/flags';

/** What the command line asked for. Times are in ms. */
export interface CliOptions {
  /** The handler module, as given on the command line. */
  handler: string;
  /** The job file; undefined (or '-') reads standard input. */
  input: string | undefined;
  workers: number;
  timeoutMs: number | undefined;
  retries: number;
  /** 0: a worker runs jobs until there are none left. */
  maxJobsPerWorker: number;
  ordered: boolean;
  /** undefined: on when stderr is a terminal. */
  progress: boolean | undefined;
  /** `--control-socket PATH`: the manager's controlSocket option (prefork-ipc ctl). */
  controlSocket?: string;
  /** Jobs from a pg-boss queue instead of JOBS (`--pg-boss URL --queue NAME`). */
  queue?: QueueOptions;
}

/** `--queue NAME` and the options that go with it. */
export interface QueueOptions {
  /** `--pg-boss URL`; undefined: `--pg-boss-file`, else $PGBOSS_URL / $DATABASE_URL (queue/flags.ts resolves it, in the manager only). */
  url: string | undefined;
  /** `--pg-boss-file FILE`. */
  urlFile: string | undefined;
  name: string;
  follow: boolean;
  /** At most this many jobs per fetch; undefined: 64. */
  batchSize: number | undefined;
  pollMs: number;
  schema: string;
  maintenanceIntervalSeconds: number | undefined;
  /** `--heartbeat S`: keep this host's jobs alive every S seconds; undefined: no heartbeat (the lease alone). */
  heartbeatSeconds: number | undefined;
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: CliOptions };

/** Bad usage: the CLI prints the message and the usage line, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: prefork-ipc [options] HANDLER [JOBS]
       prefork-ipc --queue NAME [options] HANDLER
       prefork-ipc enqueue --queue NAME [options] [JOBS]
       prefork-ipc results --queue NAME [--failed | --all]
       prefork-ipc ctl --socket PATH [--json] COMMAND   (prefork-ipc ctl --help)

Runs HANDLER over every job in JOBS (NDJSON: one JSON value per line; standard
input when JOBS is absent or '-') with a pool of preforked worker processes,
and writes one NDJSON result per job to standard output:
  {"job": <index>, "ok": true, "result": ...}
  {"job": <index>, "ok": false, "error": "..."}
HANDLER is a .js, .cjs, .mjs or .ts file whose default export is
  async (job, ctx) => result

Options:
  -w, --workers N              worker processes (default: number of CPUs)
  -t, --timeout MS             per-job time limit; the worker is killed and replaced
  -r, --retries N              run a failed job up to N more times (default 0)
  -m, --max-jobs-per-worker N  replace a worker after N jobs (default: never)
      --unordered              write results as they finish, not in input order
      --progress               progress bar on stderr (default: when stderr is a terminal)
      --no-progress            no progress bar
      --control-socket PATH    a Unix socket for prefork-ipc ctl (status, metrics, add, remove…)
  -h, --help                   show this help
  -V, --version                show the version

A pg-boss queue instead of JOBS (needs the package pg-boss 10, an optional peer
dependency; see docs/scaling-out.md). Any number of managers, on any hosts, may
share one queue. Each job is completed with {"result": ...} or failed with
{"error": "..."}; the queue's retry policy applies. Nothing goes to stdout.
The database URL (postgres://user:pass@host:port/db) comes from one of these
flags, else $PGBOSS_URL, else $DATABASE_URL (workers are never given it):
      --pg-boss-file FILE      the URL, on the first line of FILE
      --pg-boss URL            the URL itself (a password in it is visible in ps)
      --queue NAME             the queue (prefork-ipc enqueue creates it): letters, digits, _ - . : /
      --follow                 keep waiting for new jobs until SIGINT/SIGTERM, instead of
                               ending once every job of the queue is over
      --batch-size N           at most N jobs per fetch (default 64); a manager fetches about
                               0.25 s of work at a time, at least one job per worker
      --poll MS                how often an idle manager looks again (default 500)
      --schema NAME            pg-boss's schema (default pgboss)
      --heartbeat S            keep this host's jobs alive every S seconds: a job whose host
                               stops beating expires 2 × S later, so a dead host's jobs come
                               back within about 2 × S + one maintenance pass however long
                               their lease (which still bounds a job's run); default: none
      --maintenance-interval S how often pg-boss expires the leases of vanished hosts
                               (default: --heartbeat's, else pg-boss's, 120 s)
--retries does not apply: the queue's retryLimit does.

enqueue: sends every job of JOBS (NDJSON; standard input when absent or '-') to
the queue, creating it if needed, and prints {"line": N, "id": "<job id>"} per job.
      --retry-limit N          retries of a failed job (default: the queue's; pg-boss's is 2)
      --retry-delay S          seconds before a retry (default 0)
      --retry-backoff          double the delay on every retry
      --expire-in S            the lease: a job running longer than this (its host died)
                               goes back to the queue (default 900)

results: prints one NDJSON line per finished job of the queue:
  {"id": "...", "job": <data>, "ok": true, "result": ...}
  {"id": "...", "job": <data>, "ok": false, "error": ..., "state": "failed"}
      --failed                 only the failed (and cancelled) jobs
      --all                    completed, failed and cancelled (default: completed)

Exit status: 0 every job succeeded, 1 some job failed, 2 bad usage or a
HANDLER that cannot be loaded (the message says which), 130 / 143 stopped
by SIGINT / SIGTERM (running jobs finish first; a second signal kills them).`;

/** A flag's whole-number value (undefined when the flag is absent); a UsageError names the flag. */
export function wholeNumber(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Parses `argv` (without node and the script). Throws UsageError. */
export function parseCommandLine(argv: string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (positionals.length === 0) throw new UsageError('missing HANDLER');
  if (positionals.length > 2) throw new UsageError(`too many arguments: ${positionals.slice(2).join(' ')}`);
  if (values.progress && values['no-progress']) throw new UsageError('--progress and --no-progress contradict each other');
  const [handler, input] = positionals;
  const queue = queueOptions(values, positionals);
  return {
    kind: 'run',
    options: {
      handler,
      input: input === '-' ? undefined : input,
      workers: wholeNumber('workers', values.workers, 1) ?? Math.max(1, availableParallelism()),
      timeoutMs: wholeNumber('timeout', values.timeout, 1),
      retries: wholeNumber('retries', values.retries, 0) ?? 0,
      maxJobsPerWorker: wholeNumber('max-jobs-per-worker', values['max-jobs-per-worker'], 1) ?? 0,
      ordered: !values.unordered,
      progress: values.progress ? true : values['no-progress'] ? false : undefined,
      ...(queue && { queue }),
      ...(values['control-socket'] !== undefined && { controlSocket: values['control-socket'] }),
    },
  };
}

const QUEUE_ONLY = ['pg-boss-file', 'follow', 'batch-size', 'poll', 'schema', 'maintenance-interval', 'heartbeat'] as const;

function queueOptions(values: ReturnType<typeof parse>['values'], positionals: string[]): QueueOptions | undefined {
  const url = values['pg-boss'];
  if (values.queue === undefined) {
    if (url !== undefined) throw new UsageError('--pg-boss needs --queue NAME');
    const stray = QUEUE_ONLY.find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --queue NAME`);
    return undefined;
  }
  const problem = (url === undefined ? undefined : urlProblem(url)) ?? queueNameProblem(values.queue);
  if (problem) throw new UsageError(problem);
  if (url !== undefined && values['pg-boss-file'] !== undefined) throw new UsageError('--pg-boss and --pg-boss-file contradict each other: give one');
  if (positionals.length > 1) throw new UsageError('--pg-boss takes its jobs from the queue: no JOBS argument');
  if (values.retries !== undefined) throw new UsageError("--retries does not apply to a queue: its retryLimit does (prefork-ipc enqueue --retry-limit N)");
  const schema = values.schema ?? 'pgboss';
  const badSchema = schemaProblem(schema);
  if (badSchema) throw new UsageError(badSchema);
  return {
    url,
    urlFile: values['pg-boss-file'],
    name: values.queue,
    follow: values.follow === true,
    batchSize: wholeNumber('batch-size', values['batch-size'], 1),
    pollMs: wholeNumber('poll', values.poll, 10) ?? 500,
    schema,
    maintenanceIntervalSeconds: wholeNumber('maintenance-interval', values['maintenance-interval'], 1),
    heartbeatSeconds: wholeNumber('heartbeat', values.heartbeat, 1),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      workers: { type: 'string', short: 'w' },
      timeout: { type: 'string', short: 't' },
      retries: { type: 'string', short: 'r' },
      'max-jobs-per-worker': { type: 'string', short: 'm' },
      unordered: { type: 'boolean' },
      progress: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
      'pg-boss': { type: 'string' },
      'pg-boss-file': { type: 'string' },
      queue: { type: 'string' },
      follow: { type: 'boolean' },
      'batch-size': { type: 'string' },
      poll: { type: 'string' },
      schema: { type: 'string' },
      'maintenance-interval': { type: 'string' },
      heartbeat: { type: 'string' },
      'control-socket': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}
