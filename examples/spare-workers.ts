/**
 * A Qudo-style job daemon on spare workers: a port of a Perl worker built on
 * Parallel::Prefork::SpareWorkers. Each child loops: it says it is idle, asks
 * the manager for a job (`grab` waits until there is one), says it is busy,
 * works, reports, and goes round. The manager sizes the pool by idle children:
 * it spawns while fewer than MIN_SPARE are idle (1, 2, 4, … per check), and
 * retires the child idle the longest while more than MAX_SPARE are.
 *
 *   node --require tsx/cjs examples/spare-workers.ts
 *   LOAD=8 HIGH_MS=4000 JOB_MS=300 MIN_SPARE=2 MAX_SPARE=4 MIN_WORKERS=2 MAX_WORKERS=16 node --require tsx/cjs examples/spare-workers.ts
 *
 * The load is a step, built in: nothing for WARM_MS, then LOAD jobs in flight
 * for HIGH_MS (each done job is replaced by a new one), then nothing for
 * COOL_MS, then a graceful stop. Every event is one JSON line on stdout: the
 * timeline (`t` in ms since start, the pool's alive / busy / idle children),
 * each sizing check, each retirement with the state of the child retired, and
 * `settled` snapshots at the end of the high step and of the cool-down.
 *
 * Perl's names: min_spare_workers / max_spare_workers → minSpareWorkers /
 * maxSpareWorkers, max_workers → maxWorkers; $pm->set_status('busy') → ppi.setStatus('busy');
 * num_active_workers → ppi.status().busy (docs/porting-from-perl.md).
 */
import { PreforkIPC, subscribe } from '..';

const env = (name: string, fallback: number): number => (process.env[name] === undefined ? fallback : Number(process.env[name]));
const LOAD = env('LOAD', 8);
const WARM_MS = env('WARM_MS', 1500);
const HIGH_MS = env('HIGH_MS', 4000);
const COOL_MS = env('COOL_MS', 3000);
const JOB_MS = env('JOB_MS', 300);

interface Job {
  id: number;
  ms: number;
}

const line = (event: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(event) + '\n');

// ---- the manager's side: the queue, handed out through callbacks ----
const queue: Job[] = [];
/** Children waiting in `grab`, in the order they asked. */
const waiting = new Map<number, (job: Job | null) => void>();
let nextId = 1;
let done = 0;
let loadOn = false;
const began = Date.now();

function enqueue(): void {
  const job = { id: nextId++, ms: JOB_MS };
  // To the child that asked last (as the kernel wakes the latest acceptor): the one idle the
  // longest stays idle, and is the one the pool retires when there are too many.
  const last = [...waiting].at(-1);
  if (last) {
    waiting.delete(last[0]);
    last[1](job);
  } else queue.push(job);
}

const ppi = new PreforkIPC({
  maxWorkers: env('MAX_WORKERS', 16),
  minSpareWorkers: env('MIN_SPARE', 2),
  maxSpareWorkers: env('MAX_SPARE', 4),
  minWorkers: env('MIN_WORKERS', 2),
  gracePeriod: 10_000,
  callbacks: {
    grab: (_ppi, pid: number): Job | null | Promise<Job | null> => queue.shift() ?? new Promise((resolve) => waiting.set(pid, resolve)),
    done: (_ppi, _pid: number, job: Job) => {
      done++;
      // The step: while the load is on, each job done is replaced, so LOAD stay in flight.
      if (loadOn) enqueue();
      return job.id;
    },
    // A child told to stop while waiting: its grab returns null, and it exits.
    leave: (_ppi, pid: number) => {
      waiting.get(pid)?.(null);
      waiting.delete(pid);
    },
  },
  onChildReap: (_ppi, pid, status) => line({ event: 'reap', pid, status, t: Date.now() - began }),
});

function timeline(why: string): void {
  const { busy, idle, starting, stopping } = ppi.status();
  line({ event: 'pool', why, t: Date.now() - began, alive: busy + idle + starting, busy, idle, starting, stopping });
}

async function manager(): Promise<void> {
  subscribe('sizing', (check) => line({ event: 'sizing', ...check, t: check.at - began }));
  subscribe('spawn', () => timeline('spawn'));
  subscribe('retire', (retired) => {
    // The child's state as the pool saw it when it chose (never 'busy'), and whether it is waiting in
    // grab right now: if so it gets no job from here on (its grab returns null and it exits) rather
    // than one racing its SIGTERM.
    const child = ppi.status().children.find((c) => c.pid === retired.pid);
    const wasWaiting = waiting.has(retired.pid);
    waiting.get(retired.pid)?.(null);
    waiting.delete(retired.pid);
    line({ event: 'retire', pid: retired.pid, reason: retired.reason, state: child?.state, idleMs: child && retired.at - child.since, waiting: wasWaiting, t: retired.at - began });
  });
  subscribe('status', () => timeline('status'));
  const step = async (): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, WARM_MS));
    timeline('load-on');
    loadOn = true;
    for (let i = 0; i < LOAD; i++) enqueue();
    await new Promise((resolve) => setTimeout(resolve, HIGH_MS));
    line({ event: 'settled', phase: 'high', ...ppi.status(), children: undefined, t: Date.now() - began });
    loadOn = false;
    timeline('load-off');
    await new Promise((resolve) => setTimeout(resolve, COOL_MS));
    line({ event: 'settled', phase: 'cool', ...ppi.status(), children: undefined, t: Date.now() - began });
    ppi.stop('TERM');
  };
  void step();
  await ppi.start();
  // Children waiting in grab are told to leave by their TERM handler; nothing else is pending.
  const left = await ppi.waitAllChildren(15_000);
  line({ event: 'end', done, enqueued: nextId - 1, queued: queue.length, left, t: Date.now() - began });
}

// ---- a child: the Qudo worker loop ----
async function worker(): Promise<void> {
  let stopping = false;
  let busy = false;
  let busySince = 0;
  let jobId = 0;
  process.on('SIGTERM', () => {
    stopping = true;
    // A job already handed over is finished first (the loop ends after it); a child waiting leaves.
    if (busy) line({ event: 'term-while-busy', pid: process.pid, busyMs: Date.now() - busySince, job: jobId });
    else void ppi.callback('leave');
  });
  await ppi.start();
  while (!stopping) {
    ppi.setStatus('idle');
    const job = await ppi.callback('grab');
    if (!job) break;
    busy = true;
    busySince = Date.now();
    jobId = job.id;
    ppi.setStatus('busy', `job ${job.id}`);
    await new Promise((resolve) => setTimeout(resolve, job.ms));
    await ppi.callback('done', job);
    busy = false;
  }
  await ppi.finish(0);
}

void (ppi.isChild ? worker() : manager());
