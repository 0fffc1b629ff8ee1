'use strict';
// One child makes `warmup + calls` sequential request/reply round trips.
// The manager times the span between call number `warmup` and the last one,
// so process start-up and JIT warm-up are left out, the same way for all three.
//   ours  — ppi.callback('echo', payload) through PreforkIPC
//   ipc   — child_process.fork with serialization 'json', request/reply with ids by hand
//   raw   — one byte each way over the fd 3/4 pipe pair, nothing parsed: the floor
const { fork, spawn } = require('node:child_process');
const { Socket } = require('node:net');
const { library, report, scenarioArgs } = require('../support/harness');
const { variant, params } = scenarioArgs();
const { SMALL_PAYLOAD } = require('../support/clock');
const { fixedPool } = require('../support/fixed-pool');
const { windowCounter } = require('../support/window-counter');

const warmup = params.warmup ?? 1000;
const calls = params.calls ?? 20_000;
const total = warmup + calls;

/** Counts round trips as the manager sees them and times the last `calls` of them. */
function makeCounter() {
  return windowCounter({
    from: warmup,
    to: total,
    total,
    what: 'round trips',
    summarise: (windowNs) => ({ usPerCall: windowNs / 1e3 / calls, calls }),
  });
}

async function ours() {
  const { PreforkIPC } = library();
  const counter = makeCounter();
  const ppi = new PreforkIPC({
    ...fixedPool(1),
    // 'ours-nobeat': the same without the periodic beat (issue 19), to measure what it costs.
    beatInterval: variant === 'ours-nobeat' ? null : undefined,
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
  for (let i = 0; i < total; i++) await ppi.callback('echo', SMALL_PAYLOAD);
  await ppi.finish(0);
}

async function ipcChild() {
  let answer;
  process.on('message', (reply) => answer(reply));
  for (let id = 1; id <= total; id++) {
    const reply = await new Promise((resolve) => {
      answer = resolve;
      process.send({ id, payload: SMALL_PAYLOAD });
    });
    if (reply.id !== id) throw new Error(`reply ${reply.id} for call ${id}`);
  }
  process.disconnect();
}

function ipc() {
  const counter = makeCounter();
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
    report(counter.result());
  });
}

async function rawChild() {
  const input = new Socket({ fd: 3, readable: true, writable: false });
  const output = new Socket({ fd: 4, readable: false, writable: true });
  let answer;
  input.on('data', () => answer());
  const ping = Buffer.from('.');
  for (let i = 0; i < total; i++) {
    await new Promise((resolve) => {
      answer = resolve;
      output.write(ping);
    });
  }
  input.destroy();
  output.end();
}

function raw() {
  const counter = makeCounter();
  const child = spawn(process.execPath, [__filename, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_RAW_CHILD: '1' },
  });
  const [, , , toChild, fromChild] = child.stdio;
  fromChild.on('data', (bytes) => {
    for (let i = 0; i < bytes.length; i++) counter.tick();
    toChild.write(bytes);
  });
  child.on('exit', (code) => {
    if (code !== 0) throw new Error(`child exited with ${code}`);
    report(counter.result());
  });
}

const run = process.env.BENCH_IPC_CHILD
  ? ipcChild
  : process.env.BENCH_RAW_CHILD
    ? rawChild
    : { ours, 'ours-nobeat': ours, ipc, raw }[variant];
if (!run) throw new Error(`unknown variant ${variant}`);
Promise.resolve(run()).catch((err) => {
  console.error(err);
  process.exit(1);
});
