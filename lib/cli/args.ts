import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

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
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: CliOptions };

/** Bad usage: the CLI prints the message and the usage line, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: prefork-ipc [options] HANDLER [JOBS]

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
  -h, --help                   show this help
  -V, --version                show the version

Exit status: 0 every job succeeded, 1 some job failed, 2 bad usage or a
HANDLER that cannot be loaded (the message says which), 130 / 143 stopped
by SIGINT / SIGTERM (running jobs finish first; a second signal kills them).`;

function count(name: string, text: string | undefined, min: number): number | undefined {
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
  return {
    kind: 'run',
    options: {
      handler,
      input: input === '-' ? undefined : input,
      workers: count('workers', values.workers, 1) ?? Math.max(1, availableParallelism()),
      timeoutMs: count('timeout', values.timeout, 1),
      retries: count('retries', values.retries, 0) ?? 0,
      maxJobsPerWorker: count('max-jobs-per-worker', values['max-jobs-per-worker'], 1) ?? 0,
      ordered: !values.unordered,
      progress: values.progress ? true : values['no-progress'] ? false : undefined,
    },
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
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}
