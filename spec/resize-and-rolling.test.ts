/** Rolling forwards beside the pool, a TERM cutting one short, and a pool resized live. */
import { start } from './support/run';

type Ev = Record<string, unknown> & { t: number; pid: number; generation: number };

function pool(config: object) {
  return start(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
}

test('a rolling HUP returns from start() at once and replaces each old child as soon as it is told to stop', async () => {
  // Perl's ungated rolling reload (gatedReload: false); the gated one is spec/bad-deploy.test.ts's.
  const p = pool({ options: { maxWorkers: 3, gatedReload: false, trapSignals: { TERM: 'TERM', HUP: ['TERM', 600] } } });
  await p.waitForEvents('ready', 3);
  p.child.kill('SIGHUP');
  await p.waitForEvents('ready', 6);
  const events = p.events() as Ev[];
  const returned = events.findIndex((e) => e.event === 'start-returned');
  const spawns = events.filter((e) => e.event === 'spawn' && e.generation === 2);
  const reaps = events.filter((e) => e.event === 'reap');
  expect(spawns).toHaveLength(3);
  // Perl's Parallel::Prefork: start() signals the first child and returns (it used to wait (3 − 1) × 600 ms):
  // it returned before the stagger told the second child, whose replacement is the second spawn.
  expect(returned).toBeGreaterThan(-1);
  expect(returned).toBeLessThan(events.indexOf(spawns[1]));
  // Each replacement starts when its old child is told to stop, one interval apart, not when the old ones are gone:
  // the first one before any old child was reaped.
  expect(events.indexOf(spawns[0])).toBeLessThan(events.indexOf(reaps[0]));
  expect(spawns[1].t - spawns[0].t).toBeGreaterThanOrEqual(450);
  expect(spawns[2].t - spawns[1].t).toBeGreaterThanOrEqual(450);
  // Capacity is kept: never fewer than 3 children alive while the generations change.
  for (const spawn of spawns) expect(spawn.numWorkers).toBeGreaterThanOrEqual(3);
  expect(reaps.every((r) => r.status === 0)).toBe(true);
  p.child.kill('SIGTERM');
  expect((await p.done).events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('a TERM during a rolling HUP sends the rest of it at once', async () => {
  const p = pool({ options: { maxWorkers: 3, trapSignals: { TERM: 'TERM', HUP: ['TERM', 20_000] } } });
  await p.waitForEvents('ready', 3);
  const oldPids = (p.events('ready') as Ev[]).map((r) => r.pid);
  p.child.kill('SIGHUP');
  await p.waitForEvents('reap', 1);
  const termAt = Date.now();
  p.child.kill('SIGTERM');
  const end = await p.done;
  const reaps = end.events.filter((e) => e.event === 'reap') as Ev[];
  for (const pid of oldPids) {
    const reap = reaps.find((r) => r.pid === pid)!;
    expect(reap.status).toBe(0);
    expect(reap.t - termAt).toBeLessThan(10_000); // not (3 − 1) × 20 s: a generous bound under load
  }
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

function resize(config: object) {
  return start(['resize.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
}

test("TTOU and TTIN as 'removeWorker' / 'addWorker': the oldest child is retired, a new one spawned at once; start() goes on", async () => {
  const p = resize({});
  await p.waitForEvents('up', 3);
  const [oldest] = (p.events('spawn') as Ev[]).map((s) => s.pid);
  p.child.kill('SIGTTOU');
  await p.waitForEvents('reap', 1);
  expect(p.events('reap')[0]).toMatchObject({ pid: oldest, status: 143, maxWorkers: 2 });
  expect(p.stderr()).not.toMatch(/without calling finish/); // retired on purpose: no crash, no errRespawnInterval pause
  p.child.kill('SIGTTIN');
  await p.waitForEvents('up', 4);
  p.child.kill('SIGTTIN'); // not back to back: the kernel merges two pending TTINs into one
  await p.waitForEvents('up', 5);
  expect(p.events('spawn').slice(3).map((s) => s.maxWorkers)).toEqual([3, 4]);
  expect(p.events('start-returned')).toEqual([]); // resizing does not end start()
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.events.filter((e) => e.event === 'reap')).toHaveLength(5);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('lowering maxWorkers retires the surplus, oldest first, with TERM, and spawns no replacement', async () => {
  const p = resize({ resizeTo: 1 });
  await p.waitForEvents('up', 3);
  const pids = (p.events('spawn') as Ev[]).map((s) => s.pid);
  p.child.kill('SIGUSR2'); // the manager's loop sets maxWorkers = 1
  await p.waitForEvents('reap', 2);
  expect(p.events('reap').map((r) => [r.pid, r.status]).sort()).toEqual([
    [pids[0], 143],
    [pids[1], 143],
  ].sort());
  // A replacement would be spawned at the reap (in the same tick): over the whole run, none was.
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.events.filter((e) => e.event === 'spawn')).toHaveLength(3); // nothing replaced them
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});
