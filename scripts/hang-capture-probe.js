#!/usr/bin/env node
'use strict';
// Does the manager's stack capture work on this Node? Spawns a plain node
// child (the Node binary given, default this one) with
// --inspect-port=127.0.0.1:<port> spinning in `while (true) {}` inside a
// named function, captures its stack as the manager does for a hung child,
// kills it, and prints the top frame and the capture time. Also the fallbacks:
// a child that listens for SIGUSR1, and one blocked in a native call.
//
//   node scripts/hang-capture-probe.js [path/to/node] [runs]
const { spawn } = require('node:child_process');
const { captureStack } = require('../dist/manager/stack-capture');

const nodeBin = process.argv[2] || process.execPath;
const runs = Number(process.argv[3] || 5);

const SHAPES = {
  spin: "function spinForever() { while (true) {} }\nsetTimeout(spinForever, 50);\n",
  trapsUsr1: "process.on('SIGUSR1', () => {});\nfunction spinForever() { while (true) {} }\nsetTimeout(spinForever, 50);\n",
  atomicsWait: "setTimeout(function waitForever() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }, 50);\n",
  regex: "setTimeout(function backtrack() { /^(a+)+$/.test('a'.repeat(40) + 'b'); }, 50);\n",
  native: "setTimeout(function sleepInNative() { require('node:child_process').execFileSync('sleep', ['30']); }, 50);\n",
};

async function once(shape, port) {
  const child = spawn(nodeBin, [`--inspect-port=127.0.0.1:${port}`, '-e', SHAPES[shape]], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise((r) => setTimeout(r, 400)); // the probe only: the child has started spinning
  const stack = await captureStack(child.pid, port, 1000);
  process.kill(-child.pid, 'SIGKILL'); // the group: execFileSync's sleep too
  await new Promise((r) => child.once('exit', r));
  return { stack, stderr };
}

(async () => {
  const version = require('node:child_process').execFileSync(nodeBin, ['--version']).toString().trim();
  for (const shape of Object.keys(SHAPES)) {
    const times = [];
    let last;
    for (let i = 0; i < (shape === 'spin' ? runs : 1); i++) {
      const port = 20000 + Math.floor(Math.random() * 10000);
      const { stack } = await once(shape, port);
      times.push(stack.captureMs);
      last = stack;
    }
    const top = last.frames[0];
    console.log(
      `${version} ${shape}: ms=${times.join(',')} top=${top ? `${top.function || '<anon>'} ${top.file}:${top.line}:${top.column}` : '-'} frames=${last.frames.length} note=${last.note ?? ''}`,
    );
  }
})();
