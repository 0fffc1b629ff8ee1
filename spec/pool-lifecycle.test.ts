/** Corner cases a review of the manager found, each once a bug. */
import { expectBehaviour } from './support/behaviour';
import { run, start } from './support/run';

const lifecycle = (name: string) => run(['pool-lifecycle.js'], { env: { ...process.env, CASE: name } });

test('stop() while waitAllChildren() waits signals the children, as a trapped signal would', async () => {
  const end = await lifecycle('stop-during-wait');
  expect(end.events.filter((e) => e.event === 'reap').map((e) => e.status)).toEqual([130, 130]);
  const last = end.events.at(-1) as { left: number; waitedMs: number };
  expect(last.left).toBe(0);
  expect(last.waitedMs).toBeLessThan(3000);
});

test('children ended on purpose by a reload are no crash: the next generation spawns without errRespawnInterval', async () => {
  const p = start(['pool-lifecycle.js'], { env: { ...process.env, CASE: 'reload-no-pause' } });
  await p.waitForEvents('spawn', 2);
  p.child.kill('SIGHUP');
  await p.waitForEvents('spawn', 4);
  const spawns = p.events('spawn') as Array<{ generation: number; at: number }>;
  expect(spawns.map((s) => s.generation)).toEqual([1, 1, 2, 2]);
  expect(spawns[3].at - spawns[1].at).toBeLessThan(2500); // errRespawnInterval is 5000
  p.child.kill('SIGTERM');
  expect((await p.done).events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('a second signal during a staggered forward merges with it; start() still resolves', async () => {
  // TERM is ['TERM', 3000]: one child told now, the next 3 s later, the last 6 s later.
  const p = start(['pool-lifecycle.js'], { env: { ...process.env, CASE: 'stagger-twice' } });
  await p.waitForEvents('up', 3);
  p.child.kill('SIGTERM');
  await p.waitForEvents('told', 1); // the stagger has begun
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.code).toBe(0);
  const told = end.events.filter((e) => e.event === 'told') as Array<{ pid: number; at: number }>;
  const terms = end.events.filter((e) => e.event === 'manager-term') as Array<{ at: number }>;
  expect(terms).toHaveLength(2);
  // What this test is about: the second TERM came while the stagger still had children to tell.
  expect(told).toHaveLength(3);
  expect(terms[1].at - terms[0].at).toBeLessThan(2500); // inside the first 3 s interval: two children were left to tell
  expectBehaviour('a second signal during a staggered forward must merge with it: each child told once, still one interval apart', () => {
    expect(new Set(told.map((t) => t.pid)).size).toBe(3);
    expect(told[1].at - told[0].at).toBeGreaterThanOrEqual(2500);
    expect(told[2].at - told[1].at).toBeGreaterThanOrEqual(2500);
  });
  expect(end.events.filter((e) => e.event === 'start-resolved')).toHaveLength(1);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('stop() called from beforeFork spawns nothing more', async () => {
  const end = await lifecycle('stop-in-before-fork');
  expect(end.events.filter((e) => e.event === 'spawn')).toHaveLength(2);
  expect(end.events.filter((e) => e.event === 'reap').map((e) => e.payload).sort()).toEqual(['a', 'b']);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('children that die at start-up: after the first wave, one spawn per errRespawnInterval', async () => {
  const end = await lifecycle('crash-loop');
  const times = end.events.filter((e) => e.event === 'spawn').map((e) => e.at as number);
  // The manager stops after 8 reaps: the first wave of 4, then at least 4 paced ones.
  expect(times.length).toBeGreaterThanOrEqual(8);
  const later = times.slice(4);
  // One per interval (errRespawnInterval is 300 ms), not 4 per interval: every gap is a whole interval.
  for (let i = 1; i < later.length; i++) expect(later[i] - later[i - 1]).toBeGreaterThanOrEqual(280);
  // The pacing above counts from the last spawn; the first replacement is held back by the pause
  // after the first crash (without it, the pacing would let it through at once).
  const firstCrash = end.events.find((e) => e.event === 'reap') as { status: number; at: number };
  expect(firstCrash.status).toBe(1);
  expect(times[4] - firstCrash.at).toBeGreaterThanOrEqual(280);
});

test('errRespawnInterval: after a non-zero exit the next spawn waits that long from the exit, even with no crash loop to pace', async () => {
  const end = await lifecycle('pause-after-late-crash');
  const spawns = end.events.filter((e) => e.event === 'spawn').map((e) => e.at as number);
  const reaps = end.events.filter((e) => e.event === 'reap') as Array<{ status: number; at: number }>;
  expect(reaps.slice(0, 2).map((r) => r.status)).toEqual([3, 3]);
  // Each child lived 800 ms, longer than the 500 ms interval: only the pause can hold its replacement back.
  for (let i = 0; i < 2; i++) expect(spawns[i + 1] - reaps[i].at).toBeGreaterThanOrEqual(450);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('a child of an earlier generation that exits non-zero is no crash of this one: no errRespawnInterval, no warning', async () => {
  const end = await lifecycle('old-generation-exit');
  const spawns = end.events.filter((e) => e.event === 'spawn') as Array<{ generation: number; at: number }>;
  const reaps = end.events.filter((e) => e.event === 'reap') as Array<{ status: number; at: number }>;
  expect(spawns.map((s) => s.generation)).toEqual([1, 2]);
  expect(reaps[0].status).toBe(3);
  expect(spawns[1].at - reaps[0].at).toBeLessThan(2500); // errRespawnInterval is 5000
  expect(end.stderr).not.toMatch(/without calling finish/);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('waitAllChildren() waits for an async onChildReap to settle, not only for the children', async () => {
  const end = await lifecycle('async-on-child-reap');
  expect(end.events.map((e) => e.event)).toEqual(['reap-settled', 'reap-settled', 'end']);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('once a child finishes after a crash, the crash pacing ends: the pool refills all its slots at once', async () => {
  const end = await lifecycle('crash-pacing-ends');
  const spawns = end.events.filter((e) => e.event === 'spawn').map((e) => e.at as number);
  expect(spawns).toHaveLength(6);
  // The first wave, then (after the 2000 ms pause for the crash) the three free slots together,
  // not one per errRespawnInterval: three spawns in one go are milliseconds apart, not 2 × 2000 ms.
  expect(spawns[5] - spawns[3]).toBeLessThan(2000);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('a child whose grandchild still holds the pipe open is reaped soon after it exits', async () => {
  const end = await lifecycle('grandchild-holds-pipe');
  expect(end.events.filter((e) => e.event === 'reap')).toEqual([{ event: 'reap', status: 0, grandchildAlive: true }]);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('an async beforeFork makes start() reject with a TypeError instead of sending {} as workerData', async () => {
  const end = await lifecycle('async-before-fork');
  expect(end.events[0]).toMatchObject({ event: 'rejected', name: 'TypeError', numWorkers: 0 });
  expect(end.events[0].message).toMatch(/beforeFork must return the workerData itself, not a promise/);
});

test('a child knows managerPid before start() resolves; limits beyond a timer\'s range mean no limit', async () => {
  const end = await lifecycle('manager-pid-and-long-limits');
  expect(end.code).toBe(0);
  const reap = end.events.find((e) => e.event === 'reap') as { status: number; managerPid: number; payload: Record<string, unknown> };
  expect(reap.status).toBe(0);
  expect(reap.payload).toEqual({ before: reap.managerPid, after: reap.managerPid, answer: 'answered' });
  expect(end.stderr).not.toMatch(/TimeoutOverflowWarning/);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('a child that stops reading its answers costs the manager no copies of them, and gets them all later', async () => {
  const end = await lifecycle('slow-reader');
  const reap = end.events.find((e) => e.event === 'reap') as { status: number; payload: object; peakRssMb: number };
  expect(reap).toMatchObject({ status: 0, payload: { n: 300, intact: true } });
  expect(reap.peakRssMb).toBeLessThan(200); // 300 answers of 1 MB each, serialised only as the pipe drains
});
