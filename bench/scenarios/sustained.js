'use strict';
// `children` children make `totalCalls` callbacks between them, `inFlight`
// at a time each. The manager samples its own memory every 5 % of the calls,
// after a full garbage collection (run with --expose-gc), so what is left is
// what it still holds. Start = the 10 % sample (after warm-up), mid = the 50 %
// sample, end = the last. A leak grows steadily; V8 sizing its young
// generation to the load shows as a one-time step, so growth is judged on the
// second half (mid → end) and on the heap.
const { library, report, scenarioArgs } = require('../support/harness');
const { params } = scenarioArgs();
const { PreforkIPC } = library();
const { SMALL_PAYLOAD } = require('../support/clock');
const { fixedPool } = require('../support/fixed-pool');

const children = params.children ?? 4;
const inFlight = params.inFlight ?? 32;
const totalCalls = params.totalCalls ?? 200_000;
const callsPerChild = Math.ceil(totalCalls / children);
const total = callsPerChild * children;
const sampleEvery = Math.ceil(total / 20);

const samples = [];
let seen = 0;
function sample() {
  global.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  samples.push({ calls: seen, rssMb: rss / 2 ** 20, heapMb: heapUsed / 2 ** 20 });
}

const startNs = process.hrtime.bigint();
const ppi = new PreforkIPC({
  ...fixedPool(children),
  callbacks: {
    echo: (_ppi, _pid, payload) => {
      if (++seen % sampleEvery === 0) sample();
      return payload;
    },
  },
});

(async () => {
  if (await ppi.start()) {
    await ppi.waitAllChildren(10_000);
    if (seen !== total) throw new Error(`saw ${seen} calls, expected ${total}`);
    const start = samples[Math.max(0, Math.floor(samples.length / 10) - 1)];
    const mid = samples[Math.floor(samples.length / 2) - 1];
    const end = samples[samples.length - 1];
    report({
      calls: total,
      seconds: Number(process.hrtime.bigint() - startNs) / 1e9,
      rssStartMb: start.rssMb,
      rssMidMb: mid.rssMb,
      rssEndMb: end.rssMb,
      rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
      heapStartMb: start.heapMb,
      heapEndMb: end.heapMb,
      samples,
    });
    return;
  }
  let next = 0;
  const lane = async () => {
    while (next < callsPerChild) {
      next++;
      await ppi.callback('echo', SMALL_PAYLOAD);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  await ppi.finish(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
