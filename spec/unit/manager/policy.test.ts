import { countedChildren, SizingPolicy, type ChildState, type PoolState } from '../../../lib/manager/policy';

const child = (pid: number, over: Partial<ChildState> = {}): ChildState => ({
  pid,
  generation: 1,
  phase: 'ready',
  counted: true,
  betweenLifetimes: false,
  served: 0,
  limit: 1,
  ...over,
});

const pool = (over: Partial<PoolState> = {}): PoolState => ({
  now: 10_000,
  running: true,
  generation: 1,
  maxWorkers: 3,
  children: [],
  ...over,
});

const options = { spawnInterval: 0, errRespawnInterval: 0 };

test('spawns what is missing to maxWorkers, counting only children whose slot is held', () => {
  const policy = new SizingPolicy(options);
  expect(policy.decide(pool())).toEqual({ kind: 'spawn', count: 3 });
  const children = [child(1), child(2, { counted: false, phase: 'stopping' })];
  expect(countedChildren(pool({ children }))).toBe(1);
  expect(policy.decide(pool({ children }))).toEqual({ kind: 'spawn', count: 2 });
  expect(policy.decide(pool({ children: [child(1), child(2), child(3)] }))).toEqual({ kind: 'steady' });
});

test('spawns nothing outside start(), or with maxWorkers 0', () => {
  const policy = new SizingPolicy(options);
  expect(policy.decide(pool({ running: false }))).toEqual({ kind: 'steady' });
  expect(policy.decide(pool({ maxWorkers: 0 }))).toEqual({ kind: 'steady' });
});

test('paces: one spawn, then wait until spawnInterval has passed', () => {
  const policy = new SizingPolicy({ spawnInterval: 200, errRespawnInterval: 0 });
  expect(policy.decide(pool())).toEqual({ kind: 'spawn', count: 1 });
  policy.spawned(10_000);
  expect(policy.decide(pool({ now: 10_050, children: [child(1)] }))).toEqual({ kind: 'wait', until: 10_200 });
  expect(policy.decide(pool({ now: 10_200, children: [child(1)] }))).toEqual({ kind: 'spawn', count: 1 });
});

test('a crash pauses for errRespawnInterval, then lets one through per interval', () => {
  const policy = new SizingPolicy({ spawnInterval: 0, errRespawnInterval: 500 });
  policy.lifetimeEnded(10_000, { status: 1, finished: false, exited: true });
  expect(policy.decide(pool({ now: 10_000 }))).toEqual({ kind: 'wait', until: 10_500 });
  expect(policy.decide(pool({ now: 10_500 }))).toEqual({ kind: 'spawn', count: 1 });
  policy.spawned(10_500);
  expect(policy.decide(pool({ now: 10_600, children: [child(1)] }))).toEqual({ kind: 'wait', until: 11_000 });
  policy.generationBegun();
  expect(policy.pacing.crashing).toBe(false);
});

test('a failed spawn() is retried after the pause it returns', () => {
  const policy = new SizingPolicy(options);
  const pause = policy.spawnFailed(10_000);
  expect(pause).toBeGreaterThan(0);
  expect(policy.decide(pool({ now: 10_000 }))).toEqual({ kind: 'wait', until: 10_000 + pause });
});

test('a shrink retires the counted surplus, oldest first, skipping children already stopping', () => {
  const policy = new SizingPolicy(options);
  const children = [child(1, { counted: false, phase: 'stopping' }), child(2), child(3), child(4)];
  expect(policy.shrink(pool({ maxWorkers: 1, children }))).toEqual({ kind: 'retire', pids: [2, 3], reason: 'maxWorkers' });
  expect(policy.shrink(pool({ maxWorkers: 3, children }))).toEqual({ kind: 'steady' });
});

test('after a lifetime: another one, or retirement with the reason', () => {
  const policy = new SizingPolicy({ ...options, lifetimesPerChild: 5, maxChildMemory: 100 });
  const reused = child(1, { served: 1, limit: 5, betweenLifetimes: true });
  const p = pool({ maxWorkers: 1, children: [reused] });
  expect(policy.afterLifetime(p, reused, 50)).toBeUndefined();
  expect(policy.afterLifetime(p, { ...reused, served: 5 }, 50)).toBe('served');
  expect(policy.afterLifetime(p, reused, 150)).toBe('memory');
  expect(policy.afterLifetime({ ...p, generation: 2 }, reused, undefined)).toBe('generation');
  expect(policy.afterLifetime({ ...p, running: false }, reused, undefined)).toBe('generation');
  expect(policy.afterLifetime(p, { ...reused, phase: 'stopping' }, undefined)).toBe('stopping');
  expect(policy.afterLifetime(p, { ...reused, counted: false }, undefined)).toBe('stopping');
  const two = pool({ maxWorkers: 1, children: [reused, child(2)] });
  expect(policy.afterLifetime(two, reused, undefined)).toBe('maxWorkers');
});

test('a new process gets lifetimesPerChild lifetimes (no jitter)', () => {
  expect(new SizingPolicy({ ...options, lifetimesPerChild: 7 }).limitForNewChild()).toBe(7);
});

test("a recycle's replacement is spawned in the slot of the child it replaces", () => {
  const policy = new SizingPolicy({ ...options, maxChildAge: 1000 });
  const children = [child(1, { slot: 0 }), child(2, { slot: 1 })];
  for (const c of children) policy.childSpawned(c.pid, 0);
  policy.recycler.due(2, 'age');
  expect(policy.decide(pool({ maxWorkers: 2, children }))).toEqual({ kind: 'spawn', count: 1, slot: 1 });
});
