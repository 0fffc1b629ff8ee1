/**
 * A long-running prefork server whose configuration, worker count included,
 * is reloaded on SIGHUP without dropping or interrupting any work.
 *
 *   node --require tsx/cjs examples/reload.ts [config.json] [--jobs N]    (after npm run build)
 *
 * The manager hands out numbered jobs (forever, or N of them) to workers that
 * each run `jobsPerWorker` jobs and exit. Every event is printed as one JSON line.
 *
 * kill -HUP <pid>: the config file is read again and a new generation starts
 * with the new `maxWorkers`. HUP is trapped but forwards nothing, so the
 * workers of the old generation finish the job they are running; asking for
 * another, they are told to leave, and new-generation workers take their place.
 * kill -TERM / Ctrl-C: no new job is handed out; running jobs finish; then exit.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PreforkIPC } from '..';

interface Config {
  maxWorkers: number;
  multiplier: number;
  workMs: number;
  jobsPerWorker: number;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { jobs: { type: 'string' } } });
const configFile = path.resolve(positionals[0] ?? path.join(__dirname, 'reload.config.json'));
const totalJobs = values.jobs === undefined ? Infinity : Number(values.jobs);

const emit = (event: Record<string, unknown>): void => console.log(JSON.stringify(event));
const loadConfig = (): Config => JSON.parse(readFileSync(configFile, 'utf8')) as Config;

// Manager state (a worker has its own copy of these variables, unused).
let nextJob = 1;
const retry: number[] = []; // jobs whose worker died before reporting
const running = new Map<number, number>(); // pid → job it is running
const generationOf = new Map<number, number>(); // pid → generation it was spawned in
let done = 0;

const stopping = (): boolean => /^(TERM|INT)$/.test(ppi.signalReceived);

const ppi = new PreforkIPC({
  trapSignals: { HUP: null, TERM: null, INT: null },
  errRespawnInterval: 200,
  // What a worker reads as ppi.workerData: the config of its generation.
  beforeFork: (): Config => loadConfig(),
  afterFork: (ppi, pid) => {
    generationOf.set(pid, ppi.generation);
    emit({ event: 'spawn', pid, generation: ppi.generation, workers: ppi.numWorkers });
  },
  callbacks: {
    getJob: (ppi, pid): number | null => {
      if (stopping() || generationOf.get(pid) !== ppi.generation) return null; // leave: shutting down, or outdated
      const job = retry.shift() ?? (nextJob <= totalJobs ? nextJob++ : null);
      if (job !== null) running.set(pid, job);
      return job;
    },
    jobDone: (ppi, pid, report: { job: number; result: number }) => {
      running.delete(pid);
      done++;
      emit({ event: 'done', ...report, pid, generation: generationOf.get(pid) });
      if (done === totalJobs) ppi.stop('TERM');
    },
  },
  onChildReap: (ppi, pid, status) => {
    const lost = running.get(pid);
    if (lost !== undefined) retry.push(lost); // the job is not dropped: someone else runs it
    running.delete(pid);
    generationOf.delete(pid);
    emit({ event: 'reap', pid, status });
  },
});

async function main(): Promise<void> {
  while (!stopping()) {
    if (!ppi.isChild) {
      const config = loadConfig();
      ppi.maxWorkers = config.maxWorkers; // applies from the next spawn decision on
      emit({ event: 'generation', generation: ppi.generation + 1, ...config, pid: process.pid });
    }
    if (await ppi.start()) continue;

    // in a worker: the config comes from the manager, as it was when this worker was spawned
    const config = ppi.workerData as Config;
    for (let i = 0; i < config.jobsPerWorker; i++) {
      const job = await ppi.callback('getJob');
      if (job === null) break;
      await new Promise((resolve) => setTimeout(resolve, config.workMs));
      await ppi.callback('jobDone', { job, result: job * config.multiplier });
    }
    await ppi.finish(0);
  }
  const left = await ppi.waitAllChildren(30_000);
  emit({ event: 'end', done, left, signal: ppi.signalReceived });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
