'use strict';
// A rolling reload under load (issue 18): a hello-world HTTP pool on the
// manager's socket (`listen` + serve()), `HUP: ['TERM', intervalMs]`, and
// autocannon on 127.0.0.1. First `rest` seconds of load at rest (p99 at rest),
// then `seconds` of load with a HUP half a second in (p99 over that window,
// which holds the whole reload). Reports both p99s, the reload's duration (its
// `reload` event from 'begin' to 'done': the HUP to the last old child gone)
// and the failed requests (the run fails on any). Variants:
//   gated       the default with `listen`: new children beside the old, each old one told once its successor is ready
//   gated-rate  the same under a steady `rate` requests/s (a service with CPU to spare) instead of as fast as
//               the machine goes: on 2 saturated cores every new Node process's start-up (60-130 ms of CPU)
//               is taken from the serving children, whatever the reload does
//   ungated     gatedReload: false (Perl's Parallel::Prefork: the old one told on the timer, its replacement spawned then)
//   …-rr        any of these under balance: 'round-robin' (the manager deals each connection to a child)
// Run as `reload.js <variant> <params>` it is the load generator; it starts
// itself as `reload.js server <variant> <children> <intervalMs>` for the pool.
const { spawn } = require('node:child_process');
const http = require('node:http');

if (process.argv[2] === 'server') server();
else loadGenerator();

function server() {
  const [, , , variant, childrenArg, intervalArg] = process.argv;
  const children = Number(childrenArg);
  const { library } = require('../support/harness');
  const { PreforkIPC, subscribe } = library();
  const ppi = new PreforkIPC({
    maxWorkers: children,
    listen: [{ port: 0, host: '127.0.0.1' }],
    gatedReload: variant.startsWith('gated'),
    ...(variant.endsWith('-rr') ? { balance: 'round-robin' } : {}),
    trapSignals: { TERM: 'TERM', HUP: ['TERM', Number(intervalArg)] },
  });
  if (!ppi.isChild) {
    let ready = 0;
    let announced = false;
    subscribe('ready', () => {
      if (!announced && ++ready === children) {
        announced = true;
        process.stdout.write(`PORT ${ppi.listeners[0].port}\n`);
      }
    });
    let begunAt = 0;
    subscribe('reload', (e) => {
      if (e.step === 'begin') begunAt = e.at;
      else if (e.step === 'done') process.stdout.write(`RELOADED ${e.at - begunAt}\n`);
      else if (e.step === 'failed') process.stdout.write(`FAILED ${e.reason}\n`);
    });
  }
  (async () => {
    while (ppi.signalReceived !== 'TERM') {
      if (await ppi.start()) continue;
      const app = http.createServer((req, res) => res.end('hello world\n'));
      await ppi.serve(app);
      return;
    }
    await ppi.waitAllChildren(10_000);
  })();
}

function loadGenerator() {
  const autocannon = require('autocannon');
  const { report, scenarioArgs } = require('../support/harness');
  const { variant, params } = scenarioArgs();
  const { children = 4, connections = 20, rest = 3, seconds = 4, intervalMs = 200, rate = 2000 } = params;
  // Paced load comes from a plain http.Agent with keep-alive, not autocannon's overallRate: with a
  // rate, autocannon stalled ≈ 0.9 s on the connections the old children closed (p99 ≈ 850 ms in
  // both reload forms), where this client and curl saw no request over 50 ms.
  const load = variant.includes('-rate') ? (url, duration) => pacedLoad(url, connections, rate, duration) : (url, duration) => autocannon({ url, connections, duration });

  const pool = spawn(process.execPath, [__filename, 'server', variant, String(children), String(intervalMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const waiters = [];
  pool.stdout.setEncoding('utf8');
  pool.stdout.on('data', (text) => {
    out += text;
    for (const w of waiters.splice(0)) w();
  });
  /** Resolves with the first match of `pattern` in the pool's output (bounded: the run fails after 60 s). */
  const line = (pattern) =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no ${pattern} from the pool within 60 s; it printed: ${out.slice(-500)}`)), 60_000);
      const check = () => {
        const match = pattern.exec(out);
        if (match) {
          clearTimeout(deadline);
          resolve(match);
        } else waiters.push(check);
      };
      check();
    });
  const failures = (r) => r.errors + r.timeouts + r.non2xx;

  (async () => {
    const port = Number((await line(/PORT (\d+)/))[1]);
    const url = `http://127.0.0.1:${port}/`;
    // Warm-up, so neither window pays the first requests' JIT.
    await load(url, 1);
    const atRest = await load(url, rest);
    const hup = setTimeout(() => pool.kill('SIGHUP'), 500);
    const during = await load(url, seconds);
    clearTimeout(hup);
    const reloadMs = Number((await line(/RELOADED (\d+)/))[1]);
    if (/FAILED/.test(out)) throw new Error(`the reload rolled back: ${out}`);
    pool.kill('SIGTERM');
    await new Promise((resolve) => pool.once('close', resolve));
    const failed = failures(atRest) + failures(during);
    if (failed > 0) throw new Error(`${failed} failed requests (at rest ${failures(atRest)}, during the reload ${failures(during)})`);
    report({
      p99Rest: atRest.latency.p99,
      p99Reload: during.latency.p99,
      p90Reload: during.latency.p90,
      maxReload: during.latency.max,
      p90Rest: atRest.latency.p90,
      reqPerSecRest: atRest.requests.total / rest,
      reqPerSecReload: during.requests.total / seconds,
      reloadMs,
      requests: atRest.requests.total + during.requests.total,
    });
  })().catch((err) => {
    console.error(err);
    pool.kill('SIGKILL');
    process.exit(1);
  });
}

/** `rate` requests/s for `seconds` over at most `connections` keep-alive connections; autocannon's result shape. */
async function pacedLoad(url, connections, rate, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let errors = 0;
  let non2xx = 0;
  const inFlight = new Set();
  const one = () => {
    const started = performance.now();
    const done = new Promise((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        if (res.statusCode < 200 || res.statusCode > 299) non2xx++;
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  // Requests go out in 10 ms batches: timers cannot fire at 2,000 Hz.
  const perTick = Math.max(1, Math.round(rate / 100));
  const ticks = Math.round(seconds * 100);
  for (let tick = 0; tick < ticks; tick++) {
    for (let i = 0; i < perTick; i++) one();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => (latencies.length === 0 ? NaN : Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]));
  return {
    errors,
    timeouts: 0,
    non2xx,
    requests: { total: latencies.length },
    latency: { p90: at(0.9), p99: at(0.99), max: at(1) },
  };
}
