'use strict';
// bench/manager-startup-script.ts without types: the compiled-JavaScript runner.
const { PreforkIPC } = require('../dist');

const ppi = new PreforkIPC({
  maxWorkers: 1,
  afterFork: (p) => {
    console.log(JSON.stringify({ rss: process.memoryUsage.rss() }));
    p.stop('TERM');
  },
});

void (async () => {
  while (!ppi.signalReceived) {
    if (await ppi.start()) continue;
    await ppi.finish(0);
  }
  await ppi.waitAllChildren(10_000);
})();
