/**
 * The synopsis, with its job source in a shared pg-boss queue: run this same
 * script on as many hosts as you like, all pointed at one Postgres, and they
 * share the work. The manager alone talks to the database: its `getJob`
 * callback takes a job from the queue for a worker, and `onChildReap`
 * completes the job with the worker's final payload, or fails it (pg-boss's
 * retry policy then applies) when the worker did not deliver one.
 *
 *   DATABASE_URL=postgres://… QUEUE=words node --require tsx/cjs examples/distributed/manager.ts
 *   npm run example:distributed     (an embedded Postgres, 20 jobs, two managers)
 *
 * Delivery is at least once: if this host dies, the jobs it had taken go back
 * to the queue when their lease (expireInSeconds) runs out, and another host
 * runs them again; so the work below is idempotent (it derives its result
 * from the job alone and writes nothing else).
 * The `prefork-ipc --pg-boss` command does all this with batching, put-back
 * of unstarted jobs on Ctrl-C, and reconnection; this is the hand-written form.
 */
import { createHash } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { PreforkIPC } from '../..';

interface Job {
  id: string;
  word: string;
}

interface FinalPayload {
  result: { word: string; sha256: string; letters: number; workedBy: number };
}

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const queue = process.env.QUEUE ?? 'words';
const maxWorkers = Number(process.env.WORKERS ?? 2);

let boss: PgBoss | undefined;
/** Which job each worker is running (manager only). */
const running = new Map<number, string>();
/** complete() and fail() calls not yet answered: awaited before disconnecting. */
const settling = new Set<Promise<unknown>>();
let queueEmpty = false;

/** Manager only: workers never load pg-boss nor open a connection. */
async function connect(): Promise<PgBoss> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, in the manager only: workers never load pg-boss
  const PgBossClass = require('pg-boss') as typeof PgBoss;
  const instance = new PgBossClass({ connectionString: url, schedule: false });
  instance.on('error', (error) => console.error(`pg-boss: ${error.message}`));
  await instance.start();
  return instance;
}

async function takeJob(pid: number): Promise<Job | null> {
  const [job] = await boss!.fetch<{ word: string }>(queue);
  if (!job) {
    queueEmpty = true;
    return null;
  }
  running.set(pid, job.id);
  return { id: job.id, word: job.data.word };
}

const ppi = new PreforkIPC({
  maxWorkers,
  callbacks: {
    getJob: (_ppi, pid): Promise<Job | null> => takeJob(pid),
  },
  onChildReap: (ppi, pid, status, final?: FinalPayload) => {
    const id = running.get(pid);
    running.delete(pid);
    if (id !== undefined) {
      const settled = status === 0 && final
        ? boss!.complete(queue, id, { result: final.result })
        : boss!.fail(queue, id, { error: `worker ${pid} exited with status ${status}` });
      const tracked = settled
        .catch((err: Error) => console.error(`could not settle ${id}: ${err.message}`))
        .finally(() => settling.delete(tracked));
      settling.add(tracked);
      console.log(status === 0 && final ? `${final.result.word}: ${final.result.sha256} (worker ${pid})` : `job ${id} failed (status ${status})`);
    }
    if (queueEmpty && running.size === 0) ppi.stop('TERM');
  },
});

/** Idempotent: the same job always gives the same result, and nothing else is written. */
function work(word: string): FinalPayload['result'] {
  return { word, sha256: createHash('sha256').update(word).digest('hex').slice(0, 16), letters: word.length, workedBy: process.pid };
}

async function main(): Promise<void> {
  if (!ppi.isChild) boss = await connect();
  while (!/^(TERM|INT)$/.test(ppi.signalReceived)) {
    if (await ppi.start()) continue;
    // in a worker
    const job = await ppi.callback('getJob');
    if (!job) await ppi.finish(5); // nothing left
    await ppi.finish(0, { result: work(job!.word) });
  }
  await ppi.waitAllChildren(30_000);
  await Promise.all(settling);
  await boss!.stop({ graceful: false });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
