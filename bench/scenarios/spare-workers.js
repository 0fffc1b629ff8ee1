'use strict';
// Spare workers against a fixed pool of the same maximum size. Each child loops
// as a job daemon's worker does (examples/spare-workers.ts): idle, `grab` (waits
// for a job), busy, `jobMs` of asynchronous work, `done`. Once the pool has
// settled (the fixed pool: all `maxWorkers` children waiting; spare workers: the
// idle ones it keeps), measured:
//   idleCpuMs  the manager's CPU time over `idleMs` with nothing to do (beats
//              still arrive: one per child per second);
//   burstMs    `jobs` jobs arriving at once, until the last is done.
// Variants: 'fixed' (maxWorkers children always), 'spare' (minSpareWorkers /
// maxSpareWorkers, maxWorkers the same ceiling).
const { library, report, scenarioArgs } = require('../support/harness');
const { variant, params } = scenarioArgs();
const { PreforkIPC } = library();

const maxWorkers = params.maxWorkers ?? 16;
const jobs = params.jobs ?? 200;
const jobMs = params.jobMs ?? 20;
const idleMs = params.idleMs ?? 5000;
const spare = variant === 'spare' ? { minSpareWorkers: params.minSpare ?? 2, maxSpareWorkers: params.maxSpare ?? 4 } : {};

const queue = [];
const waiting = [];
let done = 0;
let settledOnce;
const settled = new Promise((resolve) => (settledOnce = resolve));
/** Settled: as many children waiting in grab as the pool keeps idle, for 300 ms in a row. */
let quietTimer;
const target = variant === 'spare' ? spare.minSpareWorkers : maxWorkers;
function checkSettled() {
  clearTimeout(quietTimer);
  if (waiting.length >= target) quietTimer = setTimeout(settledOnce, 300);
}
let allDone;
const finished = new Promise((resolve) => (allDone = resolve));

const ppi = new PreforkIPC({
  maxWorkers,
  ...spare,
  trapSignals: { TERM: 'TERM' },
  gracePeriod: 5000,
  callbacks: {
    grab: () => {
      if (queue.length > 0) return queue.shift();
      return new Promise((resolve) => {
        waiting.push(resolve);
        checkSettled();
      });
    },
    done: () => {
      if (++done === jobs) allDone();
    },
  },
});

async function manager() {
  const running = ppi.start();
  await settled;
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const used = process.cpuUsage(before);
  const idleCpuMs = (used.user + used.system) / 1000;
  const alive = ppi.numWorkers;
  const began = process.hrtime.bigint();
  for (let i = 0; i < jobs; i++) {
    const job = { ms: jobMs };
    const next = waiting.pop(); // the latest waiter, as the kernel wakes the latest acceptor
    if (next) next(job);
    else queue.push(job);
  }
  await finished;
  const burstMs = Number(process.hrtime.bigint() - began) / 1e6;
  const peak = ppi.status().spawns;
  ppi.maxWorkers = 0;
  for (const release of waiting.splice(0)) release(null);
  ppi.stop('TERM');
  await running;
  await ppi.waitAllChildren(10_000);
  report({ idleCpuMs, burstMs, aliveWhenIdle: alive, spawns: peak });
}

async function worker() {
  await ppi.start();
  for (;;) {
    ppi.setStatus('idle');
    const job = await ppi.callback('grab');
    if (!job) break;
    ppi.setStatus('busy');
    await new Promise((resolve) => setTimeout(resolve, job.ms));
    await ppi.callback('done');
  }
  await ppi.finish(0);
}

(ppi.isChild ? worker() : manager()).catch((err) => {
  console.error(err);
  process.exit(1);
});
