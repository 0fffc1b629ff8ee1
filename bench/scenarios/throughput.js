'use strict';
// `children` children each keep `inFlight` calls outstanding until they have
// made `callsPerChild`. The manager counts calls and times the middle 80 % of
// them (from the 10 % mark to the 90 % mark), when every child is busy: the
// ramp-up while children start and the tail while they finish are left out.
//   ours — ppi.callback('echo', payload), several in flight from each child
//   ipc  — child_process.fork with serialization 'json', ids matched by hand
const { fork } = require('node:child_process');
const { library, report, scenarioArgs } = require('../support/harness');
const { variant, params } = scenarioArgs();
const { SMALL_PAYLOAD } = require('../support/clock');
const { fixedPool } = require('../support/fixed-pool');
const { windowCounter } = require('../support/window-counter');

const children = params.children ?? 4;
const inFlight = params.inFlight ?? 32;
const callsPerChild = params.callsPerChild ?? 25_000;
const total = children * callsPerChild;
const from = Math.floor(total * 0.1);
const to = Math.floor(total * 0.9);

function makeCounter() {
  return windowCounter({
    from,
    to,
    total,
    what: 'calls',
    summarise: (windowNs) => ({ callsPerSec: ((to - from) / windowNs) * 1e9, calls: total }),
  });
}

/** Runs `callsPerChild` calls through `call`, `inFlight` at a time. */
async function drive(call) {
  let next = 0;
  async function lane() {
    while (next < callsPerChild) {
      next++;
      await call(SMALL_PAYLOAD);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
}

async function ours() {
  const { PreforkIPC } = library();
  const counter = makeCounter();
  const ppi = new PreforkIPC({
    ...fixedPool(children),
    callbacks: {
      echo: (_ppi, _pid, payload) => {
        counter.tick();
        return payload;
      },
    },
  });
  if (await ppi.start()) {
    await ppi.waitAllChildren(10_000);
    report(counter.result());
    return;
  }
  await drive((payload) => ppi.callback('echo', payload));
  await ppi.finish(0);
}

async function ipcChild() {
  const waiting = new Map();
  let nextId = 1;
  process.on('message', (reply) => {
    const resolve = waiting.get(reply.id);
    waiting.delete(reply.id);
    resolve(reply.result);
  });
  await drive(
    (payload) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        process.send({ id, payload });
      }),
  );
  process.disconnect();
}

function ipc() {
  const counter = makeCounter();
  let exited = 0;
  for (let i = 0; i < children; i++) {
    const child = fork(__filename, process.argv.slice(2), {
      serialization: 'json',
      env: { ...process.env, BENCH_IPC_CHILD: '1' },
    });
    child.on('message', (call) => {
      counter.tick();
      child.send({ id: call.id, result: call.payload });
    });
    child.on('exit', (code) => {
      if (code !== 0) throw new Error(`child exited with ${code}`);
      if (++exited === children) report(counter.result());
    });
  }
}

const run = process.env.BENCH_IPC_CHILD ? ipcChild : { ours, ipc }[variant];
if (!run) throw new Error(`unknown variant ${variant}`);
Promise.resolve(run()).catch((err) => {
  console.error(err);
  process.exit(1);
});
