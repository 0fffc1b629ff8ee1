// startup-script.ts without the types: the compiled-JavaScript case of bench/startup.js
// (startup-script.mjs runs the same through the package's ESM entry).
const { performance } = require('node:perf_hooks');

const options = {
  scenario: process.env.SCENARIO ?? 'latency',
  children: Number(process.env.CHILDREN ?? 10),
  maxWorkers: Number(process.env.MAX_WORKERS ?? 1),
  childExecArgv: process.env.CHILD_EXEC_ARGV ? JSON.parse(process.env.CHILD_EXEC_ARGV) : undefined,
};

function main(PreforkIPC) {
  if (options.scenario === 'bare') return;
  const spawnedAt = new Map();
  const latencies = [];
  let reaped = 0;
  let spawned = 0;
  let began = 0;
  const ppi = new PreforkIPC({
    maxWorkers: options.maxWorkers,
    errRespawnInterval: 0,
    ...(options.childExecArgv ? { exec: { execArgv: options.childExecArgv } } : {}),
    afterFork: (ppi, pid) => {
      spawnedAt.set(pid, performance.now());
      // Make exactly the children measured, as the bare-spawn baseline does: no extra ones to stop at the end.
      if (++spawned === options.children) ppi.maxWorkers = 0;
    },
    callbacks: {
      started: (ppi, pid) => void latencies.push(performance.now() - spawnedAt.get(pid)),
    },
    onChildReap: (ppi, pid, status) => {
      if (status === 0 && ++reaped === options.children) {
        const ms = performance.now() - began;
        console.log(JSON.stringify({ latencies, ms, children: reaped }));
        ppi.stop('TERM');
      }
    },
  });
  void (async () => {
    while (!ppi.signalReceived) {
      began = performance.now();
      if (await ppi.start()) continue;
      if (options.scenario === 'latency') await ppi.callback('started');
      await ppi.finish(0, { pid: process.pid, note: 'done' });
    }
    await ppi.waitAllChildren(10_000);
  })();
}
if (require.main === module) main(require('../dist').PreforkIPC);
module.exports = main;
