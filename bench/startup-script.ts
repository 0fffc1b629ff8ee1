// The script that bench/startup.js runs as the manager, as compiled JS would be
// run (startup-script.js is the same program without types) and under ts-node or tsx.
// SCENARIO=latency: one child at a time, each reporting once start() resolved;
// the manager prints the time from spawn to that report for each child.
// SCENARIO=rate: MAX_WORKERS children at a time, each finishing at once with a
// payload; the manager prints how long CHILDREN of them took.
// SCENARIO=bare: does nothing after loading the library (the baseline child for the rate).
import { performance } from 'node:perf_hooks';
import { PreforkIPC } from '../dist';

interface Options {
  scenario: string;
  children: number;
  maxWorkers: number;
  childExecArgv: string[] | undefined;
}

const options: Options = {
  scenario: process.env.SCENARIO ?? 'latency',
  children: Number(process.env.CHILDREN ?? 10),
  maxWorkers: Number(process.env.MAX_WORKERS ?? 1),
  childExecArgv: process.env.CHILD_EXEC_ARGV ? (JSON.parse(process.env.CHILD_EXEC_ARGV) as string[]) : undefined,
};

function main(): void {
  if (options.scenario === 'bare') return;
  const spawnedAt = new Map<number, number>();
  const latencies: number[] = [];
  let reaped = 0;
  let spawned = 0;
  let began = 0;
  const ppi = new PreforkIPC({
    maxWorkers: options.maxWorkers,
    errRespawnInterval: 0,
    // CHILD_EXEC_ARGV: the children's node flags, given explicitly, for the comparisons in bench/startup.js.
    ...(options.childExecArgv ? { exec: { execArgv: options.childExecArgv } } : {}),
    afterFork: (ppi, pid) => {
      spawnedAt.set(pid, performance.now());
      // Make exactly the children measured, as the bare-spawn baseline does: no extra ones to stop at the end.
      if (++spawned === options.children) ppi.maxWorkers = 0;
    },
    callbacks: {
      started: (ppi, pid) => void latencies.push(performance.now() - spawnedAt.get(pid)!),
    },
    onChildReap: (ppi, pid, status) => {
      if (status === 0 && ++reaped === options.children) {
        const ms = performance.now() - began;
        console.log(JSON.stringify({ latencies, ms, children: reaped }));
        ppi.stop('TERM');
      }
    },
  });
  void (async () => {
    while (!ppi.signalReceived) {
      began = performance.now();
      if (await ppi.start()) continue;
      if (options.scenario === 'latency') await ppi.callback('started');
      await ppi.finish(0, { pid: process.pid, note: 'done' });
    }
    await ppi.waitAllChildren(10_000);
  })();
}
main();
