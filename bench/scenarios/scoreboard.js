'use strict';
// ppi.status() and ppi.metrics() with `children` children, every one busy (in a long request:
// setStatus('busy'), waiting on I/O, so that 32 processes do not starve the 2-core machine's
// manager of CPU and the time measured is ours), each exporting the same `series` prom-client
// series: the manager answers from memory, so no child has to be free (ServerStatus::Lite
// needs one). Times `calls` of each, after one warm-up call, and reports the median in ms.
//   ours  — the only variant: the goals are absolute (< 5 ms and < 20 ms)
const { library, report, scenarioArgs } = require('../support/harness');
const { params } = scenarioArgs();

const children = params.children ?? 32;
const series = params.series ?? 1000;
const calls = params.calls ?? 20;
const busyMs = params.busyMs ?? 60_000;

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const { PreforkIPC } = library();
  let exported = 0;
  let ppi;
  const measure = async () => {
    const statusMs = [];
    const metricsMs = [];
    const metricsCpuMs = [];
    let bytes = 0;
    ppi.status();
    await ppi.metrics();
    for (let i = 0; i < calls; i++) {
      let t = process.hrtime.bigint();
      const status = ppi.status();
      statusMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (status.busy !== children) throw new Error(`${status.busy} busy children, not ${children}`);
      t = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const text = await ppi.metrics();
      metricsMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      const used = process.cpuUsage(cpu);
      metricsCpuMs.push((used.user + used.system) / 1000);
      bytes = text.length;
    }
    report({ statusMs: median(statusMs), metricsMs: median(metricsMs), metricsCpuMs: median(metricsCpuMs), metricsKb: bytes / 1024 });
    ppi.signalAllChildren('KILL');
    ppi.stop();
  };
  ppi = new PreforkIPC({
    maxWorkers: children,
    // The default beat (1 s): each beat carries the child's 1,000 series (≈ 50 kB of JSON).
    callbacks: {
      exported: () => {
        // Every child has sent its metrics once it says so, and a beat after that carries them.
        if (++exported === children) setTimeout(() => void measure(), 1500);
      },
    },
  });
  if (await ppi.start()) {
    await ppi.waitAllChildren(10_000);
    return;
  }
  const client = require('prom-client');
  const counter = new client.Counter({ name: 'bench_requests_total', help: 'Requests', labelNames: ['route'] });
  for (let i = 0; i < series; i++) counter.inc({ route: `/route/${i}` }, i);
  ppi.exportMetrics();
  ppi.setStatus('busy', 'GET /slow');
  await ppi.callback('exported');
  // Busy in a request that waits on I/O (a slow upstream) until the manager has measured.
  setTimeout(() => {}, busyMs);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
