'use strict';
// `npm run bench:startup` (or `node bench/startup.js [--quick] [--only=latency|rate]`, after `npm run build`):
// how fast children start, by the way the manager was started, and how many
// short-lived children per second the manager makes compared with bare
// child_process.spawn of the same script. Everything is measured in this one
// run, side by side; the numbers are medians.
const { spawn } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const ROOT = path.join(__dirname, '..');
const JS = path.join(__dirname, 'startup-script.js');
const MJS = path.join(__dirname, 'startup-script.mjs');
const TS = path.join(__dirname, 'startup-script.ts');
const TS_NODE = path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

const quick = process.argv.includes('--quick');
/** `--only=latency` or `--only=rate` runs one of the two parts. */
const only = /^--only=(latency|rate)$/.exec(process.argv.find((arg) => arg.startsWith('--only=')) ?? '')?.[1];
const LATENCY_CHILDREN = quick ? 4 : 12;
const SLOW_CHILDREN = quick ? 2 : 5; // children that type-check take seconds each
const RATE_CHILDREN = quick ? 40 : 200;
const RATE_WORKERS = 4;
const RATE_ROUNDS = quick ? 1 : 3;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Runs one manager to the end and returns the JSON line it printed. */
function runManager(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`${args.join(' ')} failed (exit ${code}):\n${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

/** Children/s of bare child_process.spawn of the same script, `workers` at a time, as the manager keeps them. */
function bareSpawnRate(script, total, workers) {
  return new Promise((resolve) => {
    const began = performance.now();
    let started = 0;
    let ended = 0;
    const next = () => {
      started++;
      const child = spawn(process.execPath, [script], { env: { ...process.env, SCENARIO: 'bare' }, stdio: 'inherit' });
      child.on('exit', () => {
        if (++ended === total) resolve(total / ((performance.now() - began) / 1000));
        else if (started < total) next();
      });
    };
    for (let i = 0; i < workers; i++) next();
  });
}

async function latencies() {
  const variants = [
    { name: 'compiled JS', command: 'node startup-script.js', args: [JS], children: LATENCY_CHILDREN },
    { name: 'ESM importing the package', command: 'node startup-script.mjs', args: [MJS], children: LATENCY_CHILDREN },
    { name: 'ts-node (type-checking manager; children served its compiled modules)', command: 'ts-node startup-script.ts', args: [TS_NODE, TS], children: LATENCY_CHILDREN },
    {
      name: 'ts-node, children through ts-node --transpile-only --swc (the fallback)',
      command: 'ts-node startup-script.ts',
      args: [TS_NODE, TS],
      env: { CHILD_EXEC_ARGV: JSON.stringify([TS_NODE, '--transpile-only', '--swc']) },
      children: LATENCY_CHILDREN,
    },
    {
      name: 'ts-node, children type-checking again (copying the flags unchanged)',
      command: 'ts-node startup-script.ts',
      args: [TS_NODE, TS],
      env: { CHILD_EXEC_ARGV: JSON.stringify([TS_NODE]) },
      children: SLOW_CHILDREN,
    },
    { name: 'node -r ts-node/register (children served compiled modules)', command: 'node -r ts-node/register startup-script.ts', args: ['-r', 'ts-node/register', TS], children: LATENCY_CHILDREN },
    { name: 'ts-node --transpile-only', command: 'ts-node --transpile-only startup-script.ts', args: [TS_NODE, '--transpile-only', TS], children: LATENCY_CHILDREN },
    { name: 'ts-node --swc', command: 'ts-node --swc startup-script.ts', args: [TS_NODE, '--swc', TS], children: LATENCY_CHILDREN },
    { name: 'tsx', command: 'tsx startup-script.ts', args: [TSX, TS], children: LATENCY_CHILDREN },
    { name: 'node --import tsx', command: 'node --import tsx startup-script.ts', args: ['--import', 'tsx', TS], children: LATENCY_CHILDREN },
    { name: 'node --require tsx/cjs (CommonJS only)', command: 'node --require tsx/cjs startup-script.ts', args: ['--require', 'tsx/cjs', TS], children: LATENCY_CHILDREN },
  ];
  const rows = [];
  for (const variant of variants) {
    const result = await runManager(variant.args, { SCENARIO: 'latency', CHILDREN: String(variant.children), MAX_WORKERS: '1', ...variant.env });
    rows.push({ ...variant, median: median(result.latencies), min: Math.min(...result.latencies) });
  }
  const base = rows[0].median;
  console.log(`\nTime from spawn to the child's start() resolving (one child at a time; median of N children)\n`);
  console.log('| how the manager was started | command (in bench/) | median ms | min ms | N | × compiled JS |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(`| ${row.name} | \`${row.command}\` | ${fmt(row.median)} | ${fmt(row.min)} | ${row.children} | ${fmt(row.median / base, 2)} |`);
  }
  const tsNode = rows.find((row) => row.command === 'ts-node startup-script.ts').median / base;
  console.log(`\nGoal: ts-node children ≤ 1.5× compiled JS: ${fmt(tsNode, 2)}× — ${tsNode <= 1.5 ? 'met' : 'missed'}`);
}

async function spawnRate() {
  const ours = [];
  const bare = [];
  for (let round = 0; round < RATE_ROUNDS; round++) {
    // Alternate, so that a slow moment of the machine does not fall on one side only.
    bare.push(await bareSpawnRate(JS, RATE_CHILDREN, RATE_WORKERS));
    const result = await runManager([JS], { SCENARIO: 'rate', CHILDREN: String(RATE_CHILDREN), MAX_WORKERS: String(RATE_WORKERS) });
    ours.push(result.children / (result.ms / 1000));
  }
  const ratio = median(ours) / median(bare);
  console.log(`\nSpawn rate: ${RATE_CHILDREN} short-lived children (each calls finish() with a payload at once), ${RATE_WORKERS} at a time; median of ${RATE_ROUNDS} rounds\n`);
  console.log('| | children/s | ratio |');
  console.log('|---|---:|---:|');
  console.log(`| PreforkIPC, maxWorkers: ${RATE_WORKERS} | ${fmt(median(ours), 1)} | ${fmt(ratio, 2)} |`);
  console.log(`| bare child_process.spawn of the same script, ${RATE_WORKERS} at a time | ${fmt(median(bare), 1)} | 1.00 |`);
  console.log(`\nGoal: ≥ 0.9× bare spawn: ${fmt(ratio, 2)}× — ${ratio >= 0.9 ? 'met' : 'missed'}`);
}

async function main() {
  console.log(`bench/startup.js${quick ? ' --quick' : ''}: Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ${os.platform()}, load average ${fmt(os.loadavg()[0], 2)}`);
  if (only !== 'rate') await latencies();
  if (only !== 'latency') await spawnRate();
  console.log(`\nLoad average at the end: ${fmt(os.loadavg()[0], 2)} (other work on the machine makes every number noisier)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
