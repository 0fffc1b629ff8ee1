import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPgBoss, type BossApi, type BossPolicy } from '../queue/pg-boss';
import { PgBossSource } from '../queue/pg-boss-source';
import { resultsSql } from '../queue/sql';
import { USAGE, UsageError, wholeNumber, type CliOptions } from './args';
import { JobReader } from './job-reader';

const EXIT_OK = 0;
const EXIT_SOME_FAILED = 1;
const EXIT_USAGE = 2;
/** The default of --batch-size: at most this many jobs per fetch. */
export const DEFAULT_MAX_BATCH = 64;
/** Jobs sent to Postgres per INSERT. */
const ENQUEUE_CHUNK = 1000;

const log = (message: string) => void process.stderr.write(`prefork-ipc: ${message}\n`);

/** `prefork-ipc enqueue …` or `prefork-ipc results …`. */
export function isQueueCommand(argv: string[]): boolean {
  return argv[0] === 'enqueue' || argv[0] === 'results';
}

/** Connects the manager to its queue; undefined (after saying why on stderr) when it cannot. */
export async function connectQueue(options: CliOptions): Promise<PgBossSource | undefined> {
  const queue = options.queue!;
  try {
    return await PgBossSource.connect({
      url: queue.url,
      queue: queue.name,
      maxBatch: queue.batchSize ?? DEFAULT_MAX_BATCH,
      minBatch: options.workers,
      follow: queue.follow,
      pollMs: queue.pollMs,
      schema: queue.schema,
      maintenanceIntervalSeconds: queue.maintenanceIntervalSeconds,
      log,
    });
  } catch (err) {
    log((err as Error).message);
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
  const url = values['pg-boss'];
  if (!url || !/^postgres(ql)?:\/\//.test(url)) throw new UsageError(`${command} needs --pg-boss postgres://…`);
  if (!values.queue) throw new UsageError(`${command} needs --queue NAME`);
  const schema = values.schema ?? 'pgboss';
  if (!/^[A-Za-z_]\w{0,49}$/.test(schema)) throw new UsageError(`--schema must be a Postgres name, got ${JSON.stringify(schema)}`);
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
  return { command, url, queue: values.queue, schema, policy, states, input };
}

/** Runs `enqueue` or `results`; resolves with the exit status. */
export async function runQueueCommand(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseQueueCommand>;
  try {
    parsed = parseQueueCommand(argv);
  } catch (err) {
    process.stderr.write(`prefork-ipc: ${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  let boss: BossApi;
  try {
    const Boss = loadPgBoss();
    boss = new Boss({ connectionString: parsed.url, schema: parsed.schema, supervise: false, schedule: false, max: 2, application_name: 'prefork-ipc' });
    boss.on('error', (error) => log(`pg-boss: ${error.message}`));
    await boss.start();
  } catch (err) {
    log((err as Error).message);
    return EXIT_USAGE;
  }
  try {
    return parsed.command === 'enqueue' ? await enqueue(boss, parsed) : await results(boss, parsed);
  } catch (err) {
    log((err as Error).message);
    return EXIT_SOME_FAILED;
  } finally {
    await boss.stop({ graceful: false });
  }
}

async function enqueue(boss: BossApi, args: ReturnType<typeof parseQueueCommand>): Promise<number> {
  const { queue, policy } = args;
  if (!(await boss.getQueue(queue))) await boss.createQueue(queue, policy);
  let batch: Array<BossPolicy & { id: string; name: string; data: unknown }> = [];
  let sent = 0;
  let bad = 0;
  const out: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const jobs = batch;
    batch = [];
    await boss.insert(jobs);
    sent += jobs.length;
    process.stdout.write(out.splice(0).join(''));
  };
  await new Promise<void>((resolve, reject) => {
    let chain = Promise.resolve();
    const reader = new JobReader(args.input === undefined ? process.stdin : createReadStream(args.input), {
      record: (record) => {
        if (!record.ok) {
          bad++;
          log(`not enqueued: ${record.error}`);
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
  log(`enqueued ${sent} jobs in ${queue}${bad > 0 ? `; ${bad} lines were not jobs` : ''}`);
  return bad > 0 ? EXIT_SOME_FAILED : EXIT_OK;
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
