'use strict';
// `total` short lifetimes, at most `maxWorkers` processes at a time, each
// lifetime one callback and then finish() with a small payload. Measured:
// lifetimes per second, from start() to the last lifetime reaped, and the
// steady rate: from the moment every one of the first `maxWorkers` processes
// has finished a lifetime (so their Node start-up, ≈ 60 ms of CPU each, is
// behind us) to the last reap.
//   infinity — lifetimesPerChild: Infinity (each process serves lifetimes until the end)
//   recycle  — lifetimesPerChild: params.perChild (a fresh process every N lifetimes)
//   spawns   — the process start-ups alone: total ÷ perChild lifetimes, lifetimesPerChild 1
//   perl     — plain Perl Parallel::Prefork, fork-and-exit per lifetime (prefork-rate.pl);
//              reports { skipped } when `perl -MParallel::Prefork` does not work here
const { library, report, scenarioArgs } = require('../support/harness');
const { variant, params } = scenarioArgs();

const total = params.total ?? 2000;
const maxWorkers = params.maxWorkers ?? 4;

async function ours(lifetimesPerChild, lifetimes = total) {
  const { PreforkIPC } = library();
  let handed = 0;
  let reaped = 0;
  let result;
  const startNs = process.hrtime.bigint();
  const upPids = new Set();
  let steadyFrom; // [lifetimes reaped, ns] once the first maxWorkers processes are all up
  let lastQuarterFrom; // ns when three quarters were reaped: the rate after it shows how far the JIT has warmed up
  const ppi = new PreforkIPC({
    maxWorkers,
    lifetimesPerChild,
    trapSignals: { TERM: null },
    callbacks: { job: () => ({ seed: handed }) },
    // Counted here rather than from numWorkers: a reused child is alive while its next lifetime is handed over.
    beforeFork: (p) => {
      if (++handed >= lifetimes) p.maxWorkers = 0;
      return handed;
    },
    onChildReap: (p, pid, status, payload) => {
      if (status !== 0 || payload?.n === undefined) throw new Error(`lifetime ended with ${status}, payload ${JSON.stringify(payload)}`);
      reaped++;
      if (!steadyFrom && upPids.add(pid).size === maxWorkers) steadyFrom = [reaped, process.hrtime.bigint()];
      if (reaped === Math.floor((lifetimes * 3) / 4)) lastQuarterFrom = process.hrtime.bigint();
      if (reaped === lifetimes) {
        const now = process.hrtime.bigint();
        const lifetimesPerSec = lifetimes / (Number(now - startNs) / 1e9);
        // A run too short to have lifetimes after the pool was up (the smoke run's 40, or a
        // process that never got one) has no steady window: its rate is the whole run's.
        const steadyLifetimes = steadyFrom ? lifetimes - steadyFrom[0] : 0;
        result = {
          lifetimesPerSec,
          steadyPerSec: steadyLifetimes > 0 ? steadyLifetimes / (Number(now - steadyFrom[1]) / 1e9) : lifetimesPerSec,
          lastQuarterPerSec: lastQuarterFrom ? (lifetimes - Math.floor((lifetimes * 3) / 4)) / (Number(now - lastQuarterFrom) / 1e9) : lifetimesPerSec,
          lifetimes,
        };
        p.stop();
      }
    },
  });
  while (ppi.signalReceived === '') {
    if (await ppi.start()) continue;
    const job = await ppi.callback('job');
    await ppi.finish(0, { n: ppi.workerData, seed: job.seed });
  }
  await ppi.waitAllChildren(30_000);
  report(result);
}

function perl() {
  const { spawnSync } = require('node:child_process');
  const path = require('node:path');
  const probe = spawnSync('perl', ['-MParallel::Prefork', '-e', '1'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    process.stderr.write('  skipped Perl: perl -MParallel::Prefork does not work here (Debian: apt-get install libparallel-prefork-perl)\n');
    report({ skipped: true });
    return;
  }
  const run = spawnSync('perl', [path.join(__dirname, 'prefork-rate.pl'), String(total), String(maxWorkers)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`prefork-rate.pl exited with ${run.status}: ${run.stderr}`);
  report(JSON.parse(run.stdout.trim().split('\n').pop()));
}

const runs = {
  infinity: () => ours(Infinity),
  recycle: () => ours(params.perChild ?? 100),
  // Only the process start-ups recycling needs: total ÷ perChild lifetimes, a process each.
  spawns: () => ours(1, Math.round(total / (params.perChild ?? 100))),
  perl,
};
const run = runs[variant];
if (!run) throw new Error(`unknown variant ${variant}`);
Promise.resolve(run()).catch((err) => {
  console.error(err);
  process.exit(1);
});
