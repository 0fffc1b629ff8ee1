'use strict';
// Runs one benchmark scenario as its own process and collects the one result
// line it prints. Every measurement gets a fresh manager process, so peak RSS
// and JIT warm-up of one run never leak into the next.
const path = require('node:path');

const RESULT_PREFIX = 'BENCH_RESULT ';

/**
 * The library under test. run.js points BENCH_DIST at a private copy of dist/
 * taken when the run began: other work in the same tree rebuilds dist/ at any
 * moment, and a child loading a half-written file would wreck the run.
 */
function library() {
  return require(process.env.BENCH_DIST || path.join(__dirname, '..', '..', 'dist'));
}

/** Called by a scenario (in its manager process) to hand its numbers to the harness. */
function report(result) {
  process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + '\n');
}

/** The scenario's parameters, passed as one JSON argument after the variant name. */
function scenarioArgs() {
  const [variant, params] = process.argv.slice(2);
  return { variant, params: params ? JSON.parse(params) : {} };
}

/**
 * Runs `bench/scenarios/<scenario>.js <variant> <params>` and resolves with the
 * object it reported. Rejects (so the bench fails loudly) on a non-zero exit,
 * a missing result, or `timeoutMs` passing.
 */
function runScenario(scenario, variant, params, { timeoutMs = 120_000, nodeFlags = [], env = {} } = {}) {
  // Required here, not at the top: scenario children load this file too, and
  // node:child_process is a few ms of start-up they do not need.
  const { spawn } = require('node:child_process');
  const file = path.join(__dirname, '..', 'scenarios', `${scenario}.js`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, file, variant, JSON.stringify(params)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => (stdout += text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${scenario}/${variant} took longer than ${timeoutMs} ms; killed`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').reverse().find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) {
        const why = code !== 0 ? `exited with ${signal ?? code}` : 'reported no result';
        reject(new Error(`${scenario}/${variant} ${why}; its output:\n${stdout.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)));
    });
  });
}

module.exports = { library, report, scenarioArgs, runScenario };
