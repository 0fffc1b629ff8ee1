'use strict';
// Hello-world HTTP under autocannon: this process is the load generator, the
// server is bench/scenarios/http-server.js <variant> (see there). Reports
// requests/s, p50/p99 latency, and the requests each server process served
// (busiest ÷ least busy). Params: children, connections, seconds, keepAlive.
const { spawn } = require('node:child_process');
const path = require('node:path');
const autocannon = require('autocannon');
const { report, scenarioArgs } = require('../support/harness');
const { variant, params } = scenarioArgs();

const children = params.children ?? 2;
const connections = params.connections ?? 50;
const seconds = params.seconds ?? 5;
const keepAlive = params.keepAlive ?? true;

function startServer() {
  const server = spawn(process.execPath, [path.join(__dirname, 'http-server.js'), variant, String(children)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  server.stdout.setEncoding('utf8');
  const port = new Promise((resolve, reject) => {
    server.stdout.on('data', (text) => {
      out += text;
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  const counts = new Promise((resolve) => server.once('close', () => resolve(JSON.parse(/COUNTS (.*)/.exec(out)?.[1] ?? '[]'))));
  return { server, port, counts };
}

async function main() {
  const { server, port, counts } = startServer();
  const url = `http://127.0.0.1:${await port}/`;
  const result = await autocannon({ url, connections, duration: seconds, headers: keepAlive ? {} : { connection: 'close' } });
  server.kill('SIGTERM');
  const served = await counts;
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${failed} failed requests`);
  report({
    reqPerSec: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    busiestOverLeast: served.length > 1 ? Math.max(...served) / Math.max(1, Math.min(...served)) : 1,
    served: served.join(' / '),
    /** Server processes that served (more than `children` when they were recycled). */
    processes: served.length,
  });
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
