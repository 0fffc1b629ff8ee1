'use strict';
// One child hands the manager one final payload, { sentAt, data }, where
// `data` is a string of `bytes` base64 characters. Measured: ms from the
// moment the child calls finish() (payload already built, not yet serialised)
// to the moment the manager has the parsed object, and the manager's peak RSS.
//   ours   — ppi.finish(0, payload), timed to onChildReap
//   ndjson — the same line written to the same fd 4 pipe, parsed by ndjson.parse()
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { Socket } = require('node:net');
const { library, report, scenarioArgs } = require('../support/harness');
const { variant, params } = scenarioArgs();
const { nowMs } = require('../support/clock');
const { fixedPool } = require('../support/fixed-pool');

const bytes = params.bytes ?? 1024 * 1024;

function buildPayload() {
  const data = randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);
  return { sentAt: 0, data };
}

/** What the manager reports once it holds the payload. */
function measured(payload, rssBeforeKb) {
  const arrivedAt = nowMs();
  if (!payload || payload.data?.length !== bytes) throw new Error('the payload did not arrive whole');
  return {
    ms: arrivedAt - payload.sentAt,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    rssBeforeMb: rssBeforeKb / 1024,
    bytes,
  };
}

async function ours() {
  const { PreforkIPC } = library();
  let result;
  const rssBeforeKb = process.resourceUsage().maxRSS;
  const ppi = new PreforkIPC(fixedPool(1, { onReap: (payload) => (result = measured(payload, rssBeforeKb)) }));
  if (await ppi.start()) {
    await ppi.waitAllChildren(10_000);
    report(result);
    return;
  }
  const payload = buildPayload();
  payload.sentAt = nowMs();
  await ppi.finish(0, payload);
}

async function ndjsonChild() {
  const output = new Socket({ fd: 4, readable: false, writable: true });
  const payload = buildPayload();
  payload.sentAt = nowMs();
  output.end(JSON.stringify(payload) + '\n');
  await new Promise((resolve) => output.on('finish', resolve));
}

function ndjsonManager() {
  const ndjson = require('ndjson');
  const rssBeforeKb = process.resourceUsage().maxRSS;
  const child = spawn(process.execPath, [__filename, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_NDJSON_CHILD: '1' },
  });
  let result;
  let exitCode;
  const done = () => {
    if (result && exitCode !== undefined) report(result);
  };
  child.stdio[4].pipe(ndjson.parse()).on('data', (payload) => {
    result = measured(payload, rssBeforeKb);
    done();
  });
  child.on('exit', (code) => {
    if (code !== 0) throw new Error(`child exited with ${code}`);
    exitCode = code;
    done();
  });
}

const run = process.env.BENCH_NDJSON_CHILD ? ndjsonChild : { ours, ndjson: ndjsonManager }[variant];
if (!run) throw new Error(`unknown variant ${variant}`);
Promise.resolve(run()).catch((err) => {
  console.error(err);
  process.exit(1);
});
