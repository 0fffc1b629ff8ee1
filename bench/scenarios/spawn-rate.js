'use strict';
// `total` short-lived children, at most `maxWorkers` at a time. Measured:
// children per second, from the first spawn to the last child reaped.
//   ours — PreforkIPC children that each finish(0, payload) at once
//   bare — child_process.spawn of this same script, which exits at once
if (process.env.BENCH_BARE_CHILD) return; // the bare baseline's child: do nothing at all
const { library, report, scenarioArgs } = require('../support/harness');
const { variant, params } = scenarioArgs();
const { fixedPool } = require('../support/fixed-pool');

const total = params.total ?? 200;
const maxWorkers = params.maxWorkers ?? 4;

function rate(startNs, count) {
  return { childrenPerSec: count / (Number(process.hrtime.bigint() - startNs) / 1e9), children: count };
}

async function ours() {
  const { PreforkIPC } = library();
  let result;
  const startNs = process.hrtime.bigint();
  const ppi = new PreforkIPC(
    fixedPool(total, {
      atOnce: maxWorkers,
      onReap: (payload) => {
        if (payload?.n === undefined) throw new Error(`child ended without its payload: ${JSON.stringify(payload)}`);
      },
      onAllReaped: () => (result = rate(startNs, total)),
    }),
  );
  if (await ppi.start()) {
    await ppi.waitAllChildren(10_000);
    report(result);
    return;
  }
  await ppi.finish(0, { n: ppi.workerData });
}

function bare() {
  const { spawn } = require('node:child_process');
  let spawned = 0;
  let exited = 0;
  const startNs = process.hrtime.bigint();
  const spawnOne = () => {
    spawned++;
    const child = spawn(process.execPath, [__filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_BARE_CHILD: '1' },
    });
    child.on('exit', (code) => {
      if (code !== 0) throw new Error(`child exited with ${code}`);
      if (++exited === total) report(rate(startNs, exited));
      else if (spawned < total) spawnOne();
    });
  };
  for (let i = 0; i < Math.min(maxWorkers, total); i++) spawnOne();
}

const run = { ours, bare }[variant];
if (!run) throw new Error(`unknown variant ${variant}`);
Promise.resolve(run()).catch((err) => {
  console.error(err);
  process.exit(1);
});
