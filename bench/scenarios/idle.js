'use strict';
// `children` children each make one call and then wait, with a second call
// outstanding, while the manager does nothing for `idleMs`. Measured: the
// manager's CPU time (user + system) over that window. An event-driven
// manager should use next to none; a polling one pays for every wake-up.
const { library, report, scenarioArgs } = require('../support/harness');
const { params } = scenarioArgs();
const { PreforkIPC } = library();
const { fixedPool } = require('../support/fixed-pool');

const children = params.children ?? 8;
const idleMs = params.idleMs ?? 5000;

let ready = 0;
let result;
const releases = [];
const ppi = new PreforkIPC({
  ...fixedPool(children),
  callbacks: {
    ready: () => {
      if (++ready === children) {
        const before = process.cpuUsage();
        setTimeout(() => {
          const used = process.cpuUsage(before);
          result = { cpuMs: (used.user + used.system) / 1000, userMs: used.user / 1000, systemMs: used.system / 1000, idleMs, children };
          for (const release of releases) release();
        }, idleMs);
      }
    },
    waitForGo: () => new Promise((resolve) => releases.push(resolve)),
  },
});

(async () => {
  if (await ppi.start()) {
    await ppi.waitAllChildren(10_000);
    report(result);
    return;
  }
  await ppi.callback('ready');
  await ppi.callback('waitForGo');
  await ppi.finish(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
