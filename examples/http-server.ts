/**
 * A port of Starlet, Plack's preforking HTTP server, to this library: a pool
 * of HTTP children on one socket the manager holds, recycled after a number
 * of requests, reloaded one child at a time on HUP, stopped gracefully on TERM.
 *
 *   npm run example:http                     (after npm install)
 *   PORT=8080 WORKERS=4 MAX_REQS=1000 MIN_REQS=500 SPAWN_INTERVAL=500 npm run example:http
 *   BALANCE=round-robin npm run example:http   the manager deals connections out in turn (docs/servers.md)
 *
 * Then, from another terminal (the pid file names the manager, never the npm/tsx wrapper):
 *   curl http://127.0.0.1:8080/
 *   kill -HUP  $(cat http-server.pid)    rolling restart: one child per SPAWN_INTERVAL, no request dropped
 *   kill -TTIN $(cat http-server.pid)    one child more; -TTOU: one fewer
 *   kill -TERM $(cat http-server.pid)    graceful stop: in-flight requests finish
 *   curl http://127.0.0.1:8080/server-status?auto    the scoreboard (ServerStatus::Lite, ?json, Apache ?auto)
 *   curl http://127.0.0.1:8080/metrics               Prometheus metrics of the pool (docs/observability.md)
 *   node bin/prefork-ipc.js ctl --socket http-server.ctl status    the same, and reload --wait, add, kill…
 *
 * Starlet's names: max_workers → WORKERS, max_reqs_per_child / min_reqs_per_child
 * → MAX_REQS / MIN_REQS (each child draws its limit between them, so children do
 * not all recycle at once), spawn_interval → SPAWN_INTERVAL (the HUP stagger).
 * Each child reports its access count to the manager through a callback once a
 * second, and its total as its final payload. Every event is one JSON line.
 */
import http from 'node:http';
import { PreforkIPC } from '..';

const env = (name: string, fallback: number): number => (process.env[name] === undefined ? fallback : Number(process.env[name]));
const PORT = env('PORT', 8080);
const MAX_REQS = env('MAX_REQS', 1000);
const MIN_REQS = Math.round(Math.min(env('MIN_REQS', MAX_REQS / 2), MAX_REQS));
const SPAWN_INTERVAL = env('SPAWN_INTERVAL', 500);

const emit = (event: Record<string, unknown>): void => console.log(JSON.stringify(event));

// Manager state: requests per child pid, as the children report them.
const access = new Map<number, number>();
let total = 0;

const ppi = new PreforkIPC({
  maxWorkers: env('WORKERS', 4),
  listen: [{ port: PORT, host: process.env.HOST ?? '127.0.0.1' }],
  // Starlet's way (every child accepts, the kernel picks) unless BALANCE=round-robin.
  balance: process.env.BALANCE === 'round-robin' ? 'round-robin' : 'kernel',
  pidFile: process.env.PID_FILE ?? 'http-server.pid',
  controlSocket: process.env.CONTROL_SOCKET ?? 'http-server.ctl',
  trapSignals: { TERM: 'TERM', INT: 'TERM', HUP: ['TERM', SPAWN_INTERVAL], TTIN: 'addWorker', TTOU: 'removeWorker' },
  gracePeriod: 10_000,
  callbacks: {
    access: (ppi, pid, requests: number) => {
      access.set(pid, (access.get(pid) ?? 0) + requests);
      total += requests;
    },
  },
  afterFork: (ppi, pid) => emit({ event: 'spawn', pid, generation: ppi.generation, workers: ppi.numWorkers, listen: ppi.listeners[0].address }),
  onChildReap: (ppi, pid, status, final: { requests: number } | undefined) => {
    const reported = access.get(pid) ?? 0;
    // What the last report (at most a second old) missed comes with the final payload.
    const requests = Math.max(final?.requests ?? 0, reported);
    total += requests - reported;
    emit({ event: 'reap', pid, status, requests });
    access.delete(pid);
  },
});

async function child(): Promise<void> {
  let served = 0;
  let unreported = 0;
  const statusPage = ppi.statusHandler();
  const metricsPage = ppi.metricsHandler();
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/server-status')) return statusPage(req, res);
    if (req.url === '/metrics') return metricsPage(req, res);
    served++;
    unreported++;
    res.end(`Hello from ${process.pid} (generation ${ppi.generation}, request ${served})\n`);
  });
  const report = setInterval(() => {
    if (unreported === 0) return;
    void ppi.callback('access', unreported);
    unreported = 0;
  }, 1000);
  report.unref(); // the server keeps the child alive, not this timer
  await ppi.serve(server, {
    // Recycle after MIN_REQS…MAX_REQS requests (Starlet draws each child's limit between
    // min_reqs_per_child and max_reqs_per_child), as gracefully as on TERM, and exactly.
    maxRequests: MIN_REQS,
    maxRequestsJitter: MAX_REQS - MIN_REQS,
    finalPayload: () => {
      clearInterval(report);
      return { requests: served };
    },
  });
}

async function main(): Promise<void> {
  while (!/^(TERM|INT)$/.test(ppi.signalReceived)) {
    if (!ppi.isChild) emit({ event: 'generation', generation: ppi.generation + 1, pid: process.pid });
    if (await ppi.start()) continue;
    return child();
  }
  const left = await ppi.waitAllChildren(15_000);
  emit({ event: 'end', total, left, signal: ppi.signalReceived });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
