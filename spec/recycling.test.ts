/**
 * Recycling long-lived server children without a gap: by age, by memory (a
 * child that allocates) and by request count, each under a bounded load from
 * autocannon on 127.0.0.1. Asserted: no failed request, never fewer than
 * maxWorkers children able to answer (listening and not told to stop, sampled
 * every 50 ms by the fixture), at most one recycle at a time (never more than
 * maxWorkers + 1 children up and not told to stop), and the recycles happened
 * for the reason tested. Load is short: each test is a few seconds.
 */
import { resolveOptions } from '../lib/options';
import { autocannon, expectNoFailedRequests, type LoadResult } from './support/http';
import { start, type Running } from './support/run';


jest.setTimeout(90_000);

function pool(config: object): Running {
  return start(['recycle-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
}

async function portOf(p: Running): Promise<number> {
  await p.waitForEvents('port', 1);
  return p.events('port')[0].port as number;
}

/** Bounded load: `seconds` long, `connections` at once, on loopback; `overallRate` caps the requests per second. */
function load(port: number, seconds: number, connections = 8, overallRate?: number): Promise<{ result: LoadResult; requestErrors: string[] }> {
  const requestErrors: string[] = [];
  const rate = overallRate === undefined ? {} : { overallRate };
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds, timeout: 10, ...rate }, (err, result) =>
      err ? reject(err) : resolve({ result, requestErrors }),
    );
    instance.on('reqError', (error) => requestErrors.push((error as Error & { code?: string }).code ?? error.message));
  });
}

/**
 * TERM, then the fixture's 50 ms samples: never below maxWorkers ready (`short`: fewer allowed), and at
 * most `surge` children beyond maxWorkers up (a recycle at a time by age or memory: 1; by requests, one
 * per child near its limit).
 */
async function stopAndCheck(p: Running, maxWorkers: number, surge = 1, short = 0): Promise<Array<Record<string, unknown>>> {
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.code).toBe(0);
  const extremes = end.events.find((e) => e.event === 'extremes')!;
  expect(extremes.samples).toBeGreaterThan(10);
  expect(extremes.minReady).toBeGreaterThanOrEqual(maxWorkers - short);
  expect(extremes.maxUp).toBeGreaterThan(maxWorkers); // a surge happened (replacement first)
  expect(extremes.maxUp).toBeLessThanOrEqual(maxWorkers + surge);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  return end.events.filter((e) => e.event === 'retire');
}

test('maxChildAge: children older than the limit are replaced one at a time, replacement first, under load', async () => {
  const maxWorkers = 2;
  const p = pool({ options: { maxWorkers, maxChildAge: 700, ageJitter: 200 } });
  const port = await portOf(p);
  await p.waitForEvents('listening', maxWorkers);
  const loaded = await load(port, 3);
  // The load ran 3 s against children that live ≈ 0.7–0.9 s: several recycles happened under it.
  const retired = await stopAndCheck(p, maxWorkers);
  expectNoFailedRequests(loaded.result, loaded.requestErrors);
  expect(retired.length).toBeGreaterThanOrEqual(3);
  expect(new Set(retired.map((e) => e.reason))).toEqual(new Set(['age']));
});

/** The periodic beat (issue 19, `beatInterval`) is what carries a long-lived child's RSS to the manager. */
const BEAT = ((): boolean => {
  try {
    resolveOptions({ beatInterval: 100 });
    return true;
  } catch {
    return false;
  }
})();

(BEAT ? test : test.skip)(`maxChildMemory: a child whose RSS grows past the limit is replaced, replacement first, under load${BEAT ? '' : ' (skipped: this build has no periodic beat, beatInterval, to carry RSS)'}`, async () => {
  const maxWorkers = 2;
  // Each child's RSS is ≈ 40–60 MB at rest; /grow?mb=120 takes the child that answers it well past 150 MB.
  const p = pool({ options: { maxWorkers, maxChildMemory: 150 * 2 ** 20, beatInterval: 100 } });
  const port = await portOf(p);
  await p.waitForEvents('listening', maxWorkers);
  const loading = load(port, 3);
  const grown = await fetch(`http://127.0.0.1:${port}/grow?mb=120`).then((r) => r.text());
  const grownPid = Number(/^ok (\d+)/.exec(grown)![1]);
  await p.waitFor((out) => out.includes(`"event":"retire","pid":${grownPid}`), 30_000, `the retirement of ${grownPid}`);
  const loaded = await loading;
  const retired = await stopAndCheck(p, maxWorkers);
  expectNoFailedRequests(loaded.result, loaded.requestErrors);
  expect(retired).toEqual([expect.objectContaining({ pid: grownPid, reason: 'memory' })]);
});

test('serve({ maxRequests }): a child nearing its limit asks for its replacement, which is ready before the child stops at exactly its limit', async () => {
  const maxWorkers = 2;
  // 300 req/s over 2 children, 500 requests each: a child lives ≈ 3 s, and asks for its
  // replacement when what is left would last less than four times its own start-up.
  const p = pool({ options: { maxWorkers }, serve: { maxRequests: 500 } });
  const port = await portOf(p);
  await p.waitForEvents('listening', maxWorkers);
  const loaded = await load(port, 6, 4, 300);
  // The manager chooses when an age or memory recycle stops its child; a child at maxRequests stops by
  // itself, at exactly its limit, whether or not its successor is up. It asks for it ahead (four times
  // its own start-up), which is enough on a quiet machine, but under a full suite beside `npm run bench`
  // a successor's start-up ran past the lead twice: the pool was one child short until it was ready
  // (docs/servers.md says so; the kernel queues the connections meanwhile, and none fails). What always
  // holds: each successor was spawned before its child stopped accepting, and never two short.
  const retired = await stopAndCheck(p, maxWorkers, maxWorkers, 1);
  expectNoFailedRequests(loaded.result, loaded.requestErrors);
  const spawnTimes = (p.events('spawn') as Array<{ t: number }>).map((e) => e.t).sort((a, b) => a - b);
  const limits = (p.events('limit') as Array<{ t: number }>).map((e) => e.t).sort((a, b) => a - b);
  limits.forEach((t, k) => expect(spawnTimes.filter((s) => s <= t).length).toBeGreaterThanOrEqual(maxWorkers + k + 1));
  // Nobody told them: each stopped by itself at its limit (the fixture saw it stop accepting).
  expect(retired).toEqual([]);
  expect(p.events('limit').length).toBeGreaterThanOrEqual(2);
});
