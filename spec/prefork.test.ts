import { start, isAlive } from './support/run';

type Event = Record<string, unknown> & { event: string };
const events = (stdout: string, name: string): Event[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event)
    .filter((e) => e.event === name);

function pool(config: object) {
  return start(['keep-alive.js'], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
}

test('keeps exactly maxWorkers children alive, replaces one that dies, and calls each hook once per child', async () => {
  const p = pool({});
  await p.waitForEvents('ready', 3);
  const first = events(p.stdout(), 'ready');
  expect(first).toHaveLength(3);
  expect(first.map((e) => (e.workerData as { job: number }).job).sort()).toEqual([1, 2, 3]);
  for (const e of first) expect(isAlive(e.pid as number)).toBe(true);

  const victim = first[0].pid as number;
  process.kill(victim, 'SIGKILL');
  await p.waitForEvents('ready', 4);
  const reaps = events(p.stdout(), 'reap');
  expect(reaps).toEqual([expect.objectContaining({ pid: victim, status: 137 })]);
  const fourth = events(p.stdout(), 'ready')[3];
  expect(fourth.numWorkers).toBe(3);
  expect(fourth.pid).not.toBe(victim);

  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.code).toBe(0);
  const all = end.events;
  const before = all.filter((e) => e.event === 'beforeFork').length;
  const after = all.filter((e) => e.event === 'afterFork');
  const reaped = all.filter((e) => e.event === 'reap');
  expect(before).toBe(4);
  expect(after).toHaveLength(4);
  expect(reaped).toHaveLength(4);
  expect(new Set(reaped.map((e) => e.pid))).toEqual(new Set(after.map((e) => e.pid)));
  expect(reaped.filter((e) => e.status === 143)).toHaveLength(3);
  expect(all.at(-1)).toEqual({ event: 'waited', left: 0 });
  for (const e of after) expect(isAlive(e.pid as number)).toBe(false);
});

test('spawnInterval spaces spawns out', async () => {
  const p = pool({ options: { spawnInterval: 300 } });
  await p.waitForEvents('ready', 3);
  p.child.kill('SIGTERM');
  // Timed in beforeFork, when the manager decides to spawn: afterFork times would add spawn()'s
  // own duration, which varies by tens of ms on a loaded machine.
  const times = (await p.done).events.filter((e) => e.event === 'beforeFork').map((e) => e.t as number);
  expect(times).toHaveLength(3);
  expect(times[1] - times[0]).toBeGreaterThanOrEqual(280);
  expect(times[2] - times[1]).toBeGreaterThanOrEqual(280);
});

test('errRespawnInterval pauses spawning after a child exits non-zero, so a crashing child cannot loop fast', async () => {
  const p = pool({ options: { maxWorkers: 1, errRespawnInterval: 400 }, childExit: 3 });
  await p.waitForEvents('reap', 3);
  p.child.kill('SIGTERM');
  const end = await p.done;
  const times = end.events.filter((e) => e.event === 'afterFork').map((e) => e.t as number);
  expect(end.events.filter((e) => e.event === 'reap').every((e) => e.status === 3)).toBe(true);
  for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(380);
  // It says why on stderr.
  expect(end.stderr).toMatch(/exited with status 3 without calling finish\(\); next spawn in 400 ms/);
});

test('a child that exits 0 is replaced at once, errRespawnInterval does not apply', async () => {
  const p = pool({ options: { maxWorkers: 1, errRespawnInterval: 5000 }, childExit: 0 });
  await p.waitForEvents('reap', 3);
  // Three exits with status 0 inside a 5 s errRespawnInterval: no pause was taken.
  expect(p.events('reap').slice(0, 3).map((e) => e.status)).toEqual([0, 0, 0]);
  // Each replacement was spawned right after the reap, not 5 s later (the margin is for a loaded machine).
  const reaped = p.events('reap').map((e) => e.t as number);
  const forked = p.events('afterFork').map((e) => e.t as number);
  for (let i = 0; i < 2; i++) expect(forked[i + 1] - reaped[i]).toBeLessThan(2500);
  p.child.kill('SIGTERM');
  expect((await p.done).code).toBe(0);
});

test('maxWorkers 0 keeps the manager waiting, with no child, until a signal', async () => {
  const p = pool({ options: { maxWorkers: 0 } });
  await p.waitFor('"event":"start"');
  await new Promise((r) => setTimeout(r, 300));
  expect(p.child.exitCode).toBeNull();
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.code).toBe(0);
  expect(end.events.filter((e) => e.event === 'afterFork')).toHaveLength(0);
  expect(end.events.at(-1)).toEqual({ event: 'waited', left: 0 });
});
