import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { USAGE, UsageError, wholeNumber, type CliOptions } from '../cli/args';
import { JobReader } from '../cli/job-reader';
import { complain, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../cli/exit-codes';
import { connectTimeoutMs, withDeadline } from './connect';
import { passwordOnCommandLine, queueNameProblem, redact, resolveUrl, schemaProblem, urlProblem } from './flags';
import { loadPgBoss, type BossApi, type BossPolicy } from './pg-boss';
import { PgBossSource } from './pg-boss-source';
import { notifyChannel, resultsSql } from './sql';

/** The default of --batch-size: at most this many jobs per fetch. */
export const DEFAULT_MAX_BATCH = 64;
/** Jobs sent to Postgres per INSERT. */
const ENQUEUE_CHUNK = 1000;

/** `prefork-ipc enqueue …` or `prefork-ipc results …`. */
export function isQueueCommand(argv: string[]): boolean {
  return argv[0] === 'enqueue' || argv[0] === 'results';
}

/**
 * The arguments a worker is started with: the manager's, without `--pg-boss
 * URL` (workers never connect, and a password would be in their `ps` line).
 */
export function workerArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return out.concat(argv.slice(i));
    if (argv[i] === '--pg-boss') i++;
    else if (!argv[i].startsWith('--pg-boss=')) out.push(argv[i]);
  }
  return out;
}

/**
 * Connects the manager to its queue; undefined (after saying why on stderr)
 * when it cannot. The URL is resolved here, in the manager only, and
 * $PGBOSS_URL is removed from the environment the workers will inherit.
 */
export async function connectQueue(options: CliOptions): Promise<PgBossSource | undefined> {
  const queue = options.queue!;
  let url: string;
  try {
    url = resolveUrl({ url: queue.url, file: queue.urlFile }).url;
  } catch (err) {
    complain((err as Error).message);
    return undefined;
  }
  delete process.env.PGBOSS_URL;
  const exposed = passwordOnCommandLine({ url: queue.url });
  if (exposed) complain(`warning: ${exposed}`);
  try {
    const source = await PgBossSource.connect({
      url,
      queue: queue.name,
      maxBatch: queue.batchSize ?? DEFAULT_MAX_BATCH,
      minBatch: options.workers,
      follow: queue.follow,
      pollMs: queue.pollMs,
      schema: queue.schema,
      maintenanceIntervalSeconds: queue.maintenanceIntervalSeconds,
      heartbeatSeconds: queue.heartbeatSeconds,
      log: complain,
    });
    const lease = source.leaseSeconds;
    if (options.timeoutMs === undefined) {
      complain(`warning: no --timeout: a job that hangs holds its worker until its lease (${lease} s) expires, then runs again elsewhere while it still hangs here; give --timeout below the lease`);
    } else if (options.timeoutMs >= lease * 1000) {
      complain(`warning: --timeout ${options.timeoutMs} ms is not below the queue's lease (${lease} s): a job that long is taken back by the queue while it still runs here; give --timeout below the lease (or a longer --expire-in at enqueue)`);
    }
    return source;
  } catch (err) {
    complain(redact((err as Error).message, url));
    return undefined;
  }
}

function parseQueueCommand(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv.slice(1),
    allowPositionals: true,
    strict: true,
    options: {
      'pg-boss': { type: 'string' },
      'pg-boss-file': { type: 'string' },
      queue: { type: 'string' },
      schema: { type: 'string' },
      'retry-limit': { type: 'string' },
      'retry-delay': { type: 'string' },
      'retry-backoff': { type: 'boolean' },
      'expire-in': { type: 'string' },
      failed: { type: 'boolean' },
      all: { type: 'boolean' },
    },
  });
  const command = argv[0] as 'enqueue' | 'results';
  if (!values.queue) throw new UsageError(`${command} needs --queue NAME`);
  const schema = values.schema ?? 'pgboss';
  const problem = (values['pg-boss'] === undefined ? undefined : urlProblem(values['pg-boss'])) ?? queueNameProblem(values.queue) ?? schemaProblem(schema);
  if (problem) throw new UsageError(problem);
  let url: string;
  try {
    url = resolveUrl({ url: values['pg-boss'], file: values['pg-boss-file'] }).url;
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  const enqueueOnly = ['retry-limit', 'retry-delay', 'retry-backoff', 'expire-in'] as const;
  const resultsOnly = ['failed', 'all'] as const;
  const stray = (command === 'enqueue' ? resultsOnly : enqueueOnly).find((name) => values[name] !== undefined);
  if (stray) throw new UsageError(`--${stray} does not apply to ${command}`);
  if (positionals.length > (command === 'enqueue' ? 1 : 0)) throw new UsageError(`too many arguments: ${positionals.join(' ')}`);
  if (values.failed && values.all) throw new UsageError('--failed and --all contradict each other');
  const policy: BossPolicy = {};
  const limit = wholeNumber('retry-limit', values['retry-limit'], 0);
  const delay = wholeNumber('retry-delay', values['retry-delay'], 0);
  const expire = wholeNumber('expire-in', values['expire-in'], 1);
  if (limit !== undefined) policy.retryLimit = limit;
  if (delay !== undefined) policy.retryDelay = delay;
  if (values['retry-backoff']) policy.retryBackoff = true;
  if (expire !== undefined) policy.expireInSeconds = expire;
  const states = values.all ? ['completed', 'failed', 'cancelled'] : values.failed ? ['failed', 'cancelled'] : ['completed'];
  const input = positionals[0] === '-' ? undefined : positionals[0];
  return { command, url, exposed: passwordOnCommandLine({ url: values['pg-boss'] }), queue: values.queue, schema, policy, states, input };
}

/** Runs `enqueue` or `results`; resolves with the exit status. */
export async function runQueueCommand(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseQueueCommand>;
  try {
    parsed = parseQueueCommand(argv);
  } catch (err) {
    complain(`${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { url } = parsed;
  if (parsed.exposed) complain(`warning: ${parsed.exposed}`);
  let boss: BossApi;
  let queue: Record<string, unknown> | null;
  try {
    const Boss = loadPgBoss();
    const started = new Boss({
      connectionString: url,
      schema: parsed.schema,
      supervise: false,
      schedule: false,
      max: 2,
      application_name: 'prefork-ipc',
      connectionTimeoutMillis: connectTimeoutMs(),
    });
    started.on('error', (error) => complain(redact(`pg-boss: ${error.message}`, url)));
    const abandon = () => void started.stop({ graceful: false }).catch(() => {});
    queue = await withDeadline(url, connectTimeoutMs(), async () => {
      await started.start();
      return started.getQueue(parsed.queue);
    }, abandon);
    boss = started;
  } catch (err) {
    complain(redact((err as Error).message, url));
    return EXIT_USAGE;
  }
  try {
    if (parsed.command === 'enqueue') return await enqueue(boss, parsed, queue !== null);
    if (!queue) {
      complain(`the queue ${JSON.stringify(parsed.queue)} does not exist (prefork-ipc enqueue creates it)`);
      return EXIT_FAILED;
    }
    return await results(boss, parsed);
  } catch (err) {
    complain(redact((err as Error).message, url));
    return EXIT_FAILED;
  } finally {
    await boss.stop({ graceful: false });
  }
}

async function enqueue(boss: BossApi, args: ReturnType<typeof parseQueueCommand>, exists: boolean): Promise<number> {
  const { queue, policy } = args;
  if (!exists) await boss.createQueue(queue, policy);
  let batch: Array<BossPolicy & { id: string; name: string; data: unknown }> = [];
  let sent = 0;
  let bad = 0;
  const out: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const jobs = batch;
    batch = [];
    await boss.insert(jobs);
    // Wakes the queue's idle --follow managers now rather than at their next poll (wake-up.ts).
    await boss.getDb().executeSql('SELECT pg_notify($1, $2)', [notifyChannel(args.schema), queue]);
    sent += jobs.length;
    process.stdout.write(out.splice(0).join(''));
  };
  await new Promise<void>((resolve, reject) => {
    let chain = Promise.resolve();
    const reader = new JobReader(args.input === undefined ? process.stdin : createReadStream(args.input), {
      record: (record) => {
        if (!record.ok) {
          bad++;
          complain(`not enqueued: ${record.error}`);
          return;
        }
        const id = randomUUID();
        batch.push({ id, name: queue, data: record.job, ...policy });
        out.push(`${JSON.stringify({ line: record.line, id })}\n`);
        if (batch.length >= ENQUEUE_CHUNK) {
          reader.pause();
          chain = chain.then(flush).then(() => reader.resume(), reject);
        }
      },
      end: (error) => {
        chain.then(flush).then(() => (error ? reject(error) : resolve()), reject);
      },
    });
  });
  complain(`enqueued ${sent} jobs in ${queue}${bad > 0 ? `; ${bad} lines were not jobs` : ''}`);
  return bad > 0 ? EXIT_FAILED : EXIT_OK;
}

async function results(boss: BossApi, args: ReturnType<typeof parseQueueCommand>): Promise<number> {
  const answer = await boss.getDb().executeSql(resultsSql(args.schema, args.states), [args.queue]);
  const lines: string[] = [];
  for (const row of answer?.rows ?? []) {
    const output = row.output as { result?: unknown; error?: unknown; value?: unknown } | null;
    const base = { id: row.id, job: row.data };
    if (row.state === 'completed') {
      // Jobs completed by this package carry { result }; others (completed by other code) their output as it is.
      const result = output && typeof output === 'object' && 'result' in output ? output.result : output;
      lines.push(JSON.stringify({ ...base, ok: true, result }));
    } else {
      const error = output?.error ?? output?.value ?? output ?? (row.state === 'cancelled' ? 'cancelled' : null);
      lines.push(JSON.stringify({ ...base, ok: false, error, state: row.state }));
    }
  }
  await new Promise<void>((resolve) => process.stdout.write(lines.map((l) => `${l}\n`).join(''), () => resolve()));
  return EXIT_OK;
}
