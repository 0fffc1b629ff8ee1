#!/usr/bin/env node
'use strict';
// `npm run bench` — runs every benchmark against its baselines in the same
// run, alternating them round by round, prints a markdown table of medians and
// ratios, and writes the table into docs/benchmarks.md and the chart to
// docs/benchmarks.svg.
//
//   node bench/run.js            the default set, a few minutes
//   node bench/run.js --long     adds 1,000,000 callbacks and ndjson on 100 MB
//   node bench/run.js --smoke    a few hundred calls, for CI; writes nothing to docs/
//   --only=round-trip,idle       run only these benchmarks (keys from plan.js)
//                                (lifetime-rate runs Perl's Parallel::Prefork too when installed; else "skipped Perl")
//   --rounds=N                   override the number of rounds
//   --no-write                   print only; leave docs/ alone
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { plan } = require('./plan');
const { runScenario } = require('./support/harness');
const { medians, fmt } = require('./support/stats');
const { describeMachine } = require('./support/machine');
const { renderChart } = require('./support/svg-chart');

const ROOT = path.join(__dirname, '..');
const DOCS = path.join(ROOT, 'docs');
// Inside node_modules/ so that the copy still finds the library's dependencies.
const SNAPSHOT = path.join(ROOT, 'node_modules', '.cache', 'parallel-prefork-ipc-bench', 'dist');
const START_MARK = '<!-- bench:results:start -->';
const END_MARK = '<!-- bench:results:end -->';

function parseArgs(argv) {
  const args = { mode: 'default', only: undefined, rounds: undefined, write: true };
  for (const arg of argv) {
    if (arg === '--long') args.mode = 'long';
    else if (arg === '--smoke') args.mode = 'smoke';
    else if (arg === '--no-write') args.write = false;
    else if (arg.startsWith('--only=')) args.only = new Set(arg.slice(7).split(','));
    else if (arg.startsWith('--rounds=')) args.rounds = Number(arg.slice(9));
    else throw new Error(`unknown argument ${arg} (known: --long, --smoke, --only=a,b, --rounds=N, --no-write)`);
  }
  if (args.mode === 'smoke') args.write = false;
  return args;
}

/** Runs one benchmark: each round runs every variant, starting from a different one each round. */
async function runBenchmark(bench, roundsOverride, env) {
  const rounds = roundsOverride ?? bench.rounds;
  const runs = Object.fromEntries(bench.variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    const order = bench.variants.map((_, i) => bench.variants[(i + round) % bench.variants.length]);
    for (const variant of order) {
      const wanted = Math.min(rounds, bench.roundsOf?.[variant] ?? rounds);
      if (runs[variant].length >= wanted) continue;
      const started = Date.now();
      const result = await runScenario(bench.scenario, variant, bench.params, {
        timeoutMs: bench.timeoutMs,
        nodeFlags: bench.nodeFlags,
        env,
      });
      runs[variant].push(result);
      process.stderr.write(`  ${bench.key} round ${round + 1}/${rounds} ${variant}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  }
  const m = Object.fromEntries(Object.entries(runs).map(([variant, list]) => [variant, medians(list)]));
  const rows = bench.rows(m);
  // A scenario that ran but measured nothing (NaN, Infinity) must fail the smoke run too.
  for (const row of rows) {
    const numbers = [row.ratio, row.chart?.advantage, ...(row.budget ?? []).map((b) => b.used)];
    if (numbers.some((n) => n !== undefined && !Number.isFinite(n))) {
      throw new Error(`${bench.key}: a result is not a finite number: ${JSON.stringify(m)}`);
    }
  }
  return { rows, runs };
}

function markdownTable(rows) {
  const cell = (s) => String(s).replace(/\|/g, '\\|');
  const lines = [
    '| benchmark | ours (median) | baseline in the same run (median) | ours ÷ baseline | goal | met |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const ratio = row.ratio === undefined ? '—' : `${fmt(row.ratio, 2)}×`;
    const met = row.met === true ? '✅ yes' : row.met === false ? '❌ no' : '—';
    lines.push(`| ${[row.benchmark, row.ours, row.baseline, ratio, row.goal, met].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

function chartFor(rows, subtitle) {
  return renderChart({
    title: 'parallel-prefork-ipc benchmarks',
    subtitle,
    ratios: rows.filter((r) => r.chart).map((r) => ({ ...r.chart, met: r.chart.goal === undefined ? null : r.met })),
    budgets: rows.flatMap((r) => (r.budget ?? []).map((b) => ({ ...b, met: b.used <= 1 }))),
  });
}

function writeDocs(section, svg) {
  fs.writeFileSync(path.join(DOCS, 'benchmarks.svg'), svg);
  const file = path.join(DOCS, 'benchmarks.md');
  const doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const start = doc.indexOf(START_MARK);
  const end = doc.indexOf(END_MARK);
  if (start === -1 || end < start) {
    process.stderr.write(`docs/benchmarks.md has no ${START_MARK} … ${END_MARK} block; table not written there\n`);
    return;
  }
  fs.writeFileSync(file, doc.slice(0, start + START_MARK.length) + '\n' + section + '\n' + doc.slice(end));
  process.stderr.write('wrote docs/benchmarks.md (results block) and docs/benchmarks.svg\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const benches = plan(args.mode).filter((b) => !args.only || args.only.has(b.key));
  if (benches.length === 0) throw new Error('no benchmark selected');
  // Every scenario loads this copy of dist/, taken now: others may rebuild dist/ during the run.
  fs.rmSync(SNAPSHOT, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'dist'), SNAPSHOT, { recursive: true });
  const env = { BENCH_DIST: SNAPSHOT };
  const began = Date.now();
  const rows = [];
  for (const bench of benches) {
    process.stderr.write(`${bench.key}: ${bench.variants.join(' / ')}\n`);
    rows.push(...(await runBenchmark(bench, args.rounds, env)).rows);
  }
  const command = `npm run bench${args.mode === 'long' ? ' -- --long' : args.mode === 'smoke' ? ':smoke' : ''}`;
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machine = describeMachine();
  const section = [
    `Produced by \`${command}\` on ${when} (${((Date.now() - began) / 1000).toFixed(0)} s).`,
    `Machine: ${machine}.`,
    '',
    markdownTable(rows),
    '',
    '![ours against the baselines, and the absolute budgets](benchmarks.svg)',
  ].join('\n');
  console.log(section);
  const svg = chartFor(rows, `${command} · ${when} · ${machine}`);
  if (args.write) writeDocs(section, svg);
  else fs.writeFileSync(path.join(os.tmpdir(), 'parallel-prefork-ipc-bench.svg'), svg);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
