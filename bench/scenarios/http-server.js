'use strict';
// The server side of the HTTP benchmark, one process tree per run (the load
// generator, bench/scenarios/http.js, is a separate process, the same for
// every variant):
//   ours           PreforkIPC, `children` children on the manager's socket (listen option)
//   ours-single    the same, children run with UV_TCP_SINGLE_ACCEPT=1
//   ours-mrpcN     the same, serve({ maxRequestsPerConnection: N })
//   ours-rr        PreforkIPC with balance: 'round-robin': the manager accepts and deals connections out
//   ours-ageN      PreforkIPC recycling each child after N ms (maxChildAge N, ageJitter N / 5), replacement first
//   ours-nobeat    ours with beatInterval: null (no beat, no status messages: the scoreboard off)
//   cluster        node:cluster, `children` workers, round-robin (the default on Linux)
//   single         one process
// Each prints `PORT <n>` once every process listens, and on SIGTERM the
// requests each process served as `COUNTS [..]`, then exits.
const http = require('node:http');
const { library } = require('../support/harness');

const [variant, childrenArg] = process.argv.slice(2);
const children = Number(childrenArg);
const hello = (count) => (req, res) => {
  count();
  res.end('hello world\n');
};

function single() {
  let served = 0;
  const server = http.createServer(hello(() => served++)).listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT ${server.address().port}\n`);
  });
  process.once('SIGTERM', () => {
    process.stdout.write(`COUNTS ${JSON.stringify([served])}\n`);
    process.exit(0);
  });
}

function cluster() {
  const c = require('node:cluster');
  if (c.isPrimary) {
    const counts = [];
    let listening = 0;
    let port;
    for (let i = 0; i < children; i++) {
      const worker = c.fork();
      worker.on('listening', (address) => {
        port = address.port;
        if (++listening === children) process.stdout.write(`PORT ${port}\n`);
      });
      worker.on('message', (n) => counts.push(n));
    }
    // The port: the first worker asks for 0 and the primary picks it; the others share it.
    process.env.BENCH_PORT = '0';
    process.once('SIGTERM', () => {
      for (const worker of Object.values(c.workers)) worker.send('report');
      const done = setInterval(() => {
        if (counts.length < children) return;
        clearInterval(done);
        process.stdout.write(`COUNTS ${JSON.stringify(counts)}\n`);
        process.exit(0);
      }, 10);
    });
    return;
  }
  let served = 0;
  http.createServer(hello(() => served++)).listen(0, '127.0.0.1');
  process.on('message', () => process.send(served));
}

function ours(singleAccept) {
  const { PreforkIPC } = library();
  const counts = [];
  let ready = 0;
  if (singleAccept) process.env.UV_TCP_SINGLE_ACCEPT = '1'; // the children inherit it
  const age = /^ours-age(\d+)$/.exec(variant);
  const recycling = age ? { maxChildAge: Number(age[1]), ageJitter: Math.round(Number(age[1]) / 5) } : {};
  const ppi = new PreforkIPC({
    maxWorkers: children,
    ...recycling,
    listen: [{ port: 0, host: '127.0.0.1' }],
    balance: variant === 'ours-rr' ? 'round-robin' : 'kernel',
    beatInterval: variant === 'ours-nobeat' ? null : undefined,
    callbacks: {
      ready: (p) => {
        if (++ready === children) process.stdout.write(`PORT ${p.listeners[0].port}\n`);
      },
    },
    onChildReap: (p, pid, status, served) => counts.push(served),
  });
  (async () => {
    if (await ppi.start()) {
      await ppi.waitAllChildren(10_000);
      process.stdout.write(`COUNTS ${JSON.stringify(counts)}\n`);
      return;
    }
    let served = 0;
    const server = http.createServer(hello(() => served++));
    const maxRequestsPerConnection = variant.startsWith('ours-mrpc') ? Number(variant.slice('ours-mrpc'.length)) : undefined;
    await ppi.serve(server, { finalPayload: () => served, maxRequestsPerConnection });
    await ppi.callback('ready');
  })();
}

if (variant === 'single') single();
else if (variant === 'cluster') cluster();
else ours(variant === 'ours-single');
