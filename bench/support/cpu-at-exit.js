'use strict';
// Preload (`node -r ./bench/support/cpu-at-exit.js …`; children inherit it
// through execArgv) that prints each process's own CPU time when it exits:
//   cpu-at-exit <pid> <user ms> <system ms>
// Used for the per-child CPU figures in docs/benchmarks.md (spawn rate).
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  require('node:fs').writeSync(2, `cpu-at-exit ${process.pid} ${(user / 1000).toFixed(1)} ${(system / 1000).toFixed(1)}\n`);
});
