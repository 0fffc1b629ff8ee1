'use strict';
// `node bench/manager-startup.js [--runs=N]` (after `npm run build`): how long a manager takes,
// by the way it is started, from the command to the moment it spawns its first child (when
// nothing can be served yet), and its RSS then. Children's own start-up is bench/startup.js.
// Each runner runs N times (default 5), interleaved; the numbers are medians of this one run.
const { spawn } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.join(__dirname, '..');
const JS = path.join(__dirname, 'manager-startup-script.js');
const TS = path.join(__dirname, 'manager-startup-script.ts');
const TS_NODE = path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const RUNS = Number(/^--runs=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--runs=')) ?? '')?.[1] ?? 5);

const RUNNERS = [
  ['compiled JavaScript: node script.js', [JS]],
  ['ts-node script.ts (type-checking)', [TS_NODE, TS]],
  ['ts-node --transpile-only script.ts', [TS_NODE, '--transpile-only', TS]],
  ['ts-node --swc script.ts', [TS_NODE, '--swc', TS]],
  ['tsx script.ts', [TSX, TS]],
  ['node --require tsx/cjs script.ts', ['--require', 'tsx/cjs', TS]],
];

function once(args) {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let ms;
    child.stdout.on('data', (d) => {
      out += d;
      if (ms === undefined && out.includes('\n')) ms = performance.now() - began;
    });
    child.on('close', (code) => {
      const line = out.split('\n')[0];
      if (code !== 0 || ms === undefined) return reject(new Error(`${args.join(' ')} exited ${code}: ${out}`));
      resolve({ ms, rss: JSON.parse(line).rss });
    });
  });
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

(async () => {
  const results = RUNNERS.map(() => ({ ms: [], rss: [] }));
  for (let run = 0; run < RUNS; run++) {
    for (let i = 0; i < RUNNERS.length; i++) {
      const { ms, rss } = await once(RUNNERS[i][1]);
      results[i].ms.push(ms);
      results[i].rss.push(rss);
    }
  }
  const base = median(results[0].ms);
  console.log(`Node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, ${RUNS} runs each\n`);
  console.log('| how the manager is started | to its first spawn, median ms | min ms | × compiled | RSS then, MB |');
  console.log('|---|---:|---:|---:|---:|');
  RUNNERS.forEach(([name], i) => {
    const ms = median(results[i].ms);
    console.log(`| ${name} | ${Math.round(ms).toLocaleString('en-US')} | ${Math.round(Math.min(...results[i].ms)).toLocaleString('en-US')} | ${(ms / base).toFixed(2)} | ${Math.round(median(results[i].rss) / 1e6)} |`);
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
