// The manager that bench/manager-startup.js starts under each runner: it prints its RSS when
// it is about to spawn its first child (its own start-up is over), then stops.
// manager-startup-script.js is the same program without types.
import { PreforkIPC } from '../dist';

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
