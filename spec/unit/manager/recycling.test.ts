import { MAX_RECYCLING, Recycler, type RecycleChild, type RecycleReason, type RecyclingHost, type RecyclingOptions } from '../../../lib/manager/recycling';

/** A pool without processes: children are records, spawns hand out pids, time is a number. */
function harness(options: Partial<RecyclingOptions> = {}, random = 0) {
  let now = 1_000;
  let nextPid = 100;
  const timers = new Set<{ at: number; fn: () => void }>();
  const children = new Map<number, RecycleChild>();
  const log: string[] = [];
  const host: RecyclingHost & { running: boolean; generation: number; failSpawns: boolean; readyAtSpawn: boolean } = {
    running: true,
    generation: 1,
    failSpawns: false,
    readyAtSpawn: false,
    child: (pid) => children.get(pid),
    spawnReplacement() {
      if (this.failSpawns) return undefined;
      const pid = nextPid++;
      children.set(pid, { generation: this.generation, ready: this.readyAtSpawn, stopping: false });
      log.push(`spawn ${pid}`);
      return pid;
    },
    retireChild(pid: number, reason: RecycleReason) {
      children.get(pid)!.stopping = true;
      log.push(`retire ${pid} ${reason}`);
    },
  };
  const recycler = new Recycler(host, { retryMs: 1000, ...options }, {
    now: () => now,
    random: () => random,
    setTimer(fn, ms) {
      const timer = { at: now + ms, fn };
      timers.add(timer);
      return { clear: () => timers.delete(timer) };
    },
  });
  const add = (pid: number, ready = true): void => {
    children.set(pid, { generation: host.generation, ready, stopping: false });
    recycler.spawned(pid);
  };
  /** Moves the clock on, firing timers that come due, in order. */
  const advance = (ms: number): void => {
    const end = now + ms;
    for (;;) {
      const due = [...timers].filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers.delete(due);
      now = Math.max(now, due.at);
      due.fn();
    }
    now = end;
  };
  const ready = (pid: number): void => {
    children.get(pid)!.ready = true;
    recycler.ready(pid);
  };
  const exit = (pid: number): void => {
    children.delete(pid);
    recycler.ended(pid);
  };
  return { host, recycler, children, log, add, advance, ready, exit, timers };
}

test('by age: nothing before maxChildAge, then the replacement first and the old child only once it is ready', () => {
  const h = harness({ maxChildAge: 10_000 });
  h.add(1);
  h.advance(9_999);
  expect(h.log).toEqual([]);
  h.advance(1);
  expect(h.log).toEqual(['spawn 100']);
  expect(h.recycler.inProgress).toBe(1);
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'retire 1 age']);
  expect(h.recycler.inProgress).toBe(0);
});

test('ageJitter adds a random whole number of ms from 0 to ageJitter', () => {
  const h = harness({ maxChildAge: 10_000, ageJitter: 5_000 }, 0.9999);
  h.add(1);
  h.advance(14_999);
  expect(h.log).toEqual([]);
  h.advance(1);
  expect(h.log).toEqual(['spawn 100']);
});

test(`children due together are recycled ${MAX_RECYCLING} at a time, each only after the previous replacement is ready`, () => {
  const h = harness({ maxChildAge: 1_000 });
  for (const pid of [1, 2, 3, 4]) h.add(pid);
  h.advance(1_000);
  expect(h.log).toEqual(['spawn 100']);
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'retire 1 age', 'spawn 101']);
  h.ready(101);
  h.ready(102);
  h.ready(103);
  expect(h.log).toEqual(['spawn 100', 'retire 1 age', 'spawn 101', 'retire 2 age', 'spawn 102', 'retire 3 age', 'spawn 103', 'retire 4 age']);
});

test('a replacement that dies before it is ready: the old child keeps serving, and is tried again after retryMs', () => {
  const h = harness({ maxChildAge: 1_000 });
  h.add(1);
  h.advance(1_000);
  h.exit(100);
  expect(h.log).toEqual(['spawn 100']);
  expect(h.children.get(1)!.stopping).toBe(false);
  h.advance(999);
  expect(h.log).toEqual(['spawn 100']);
  h.advance(1);
  expect(h.log).toEqual(['spawn 100', 'spawn 101']);
  h.ready(101);
  expect(h.log.at(-1)).toBe('retire 1 age');
});

test('a failed spawn is tried again later, not in a loop', () => {
  const h = harness({ maxChildAge: 1_000 });
  h.add(1);
  h.host.failSpawns = true;
  h.advance(1_000);
  expect(h.log).toEqual([]);
  expect(h.timers.size).toBe(1);
  h.host.failSpawns = false;
  h.advance(1_000);
  expect(h.log).toEqual(['spawn 100']);
});

test('by memory: a report over maxChildMemory makes the child due, at or under it does nothing', () => {
  const h = harness({ maxChildMemory: 100 });
  h.add(1);
  h.recycler.memory(1, 100);
  expect(h.log).toEqual([]);
  h.recycler.memory(1, 101);
  h.recycler.memory(1, 500); // already in progress: not twice
  expect(h.log).toEqual(['spawn 100']);
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'retire 1 memory']);
});

test('by requests, and a replacement ready at once (the host says so synchronously)', () => {
  const h = harness({});
  h.add(1);
  h.host.readyAtSpawn = true;
  h.recycler.due(1, 'requests');
  expect(h.log).toEqual(['spawn 100', 'retire 1 requests']);
});

test('nothing while the pool is stopped, a child of an older generation, or one already stopping; a due child that is not ready waits', () => {
  const h = harness({ maxChildAge: 1_000 });
  h.add(1);
  h.add(2, false);
  h.add(3);
  h.children.get(3)!.stopping = true;
  h.host.running = false;
  h.advance(1_000);
  expect(h.log).toEqual([]);
  h.host.running = true;
  h.recycler.resumed();
  expect(h.log).toEqual(['spawn 100']); // child 1; 2 is not ready, 3 is stopping
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'retire 1 age']);
  h.ready(2);
  expect(h.log).toEqual(['spawn 100', 'retire 1 age', 'spawn 101']);
  h.host.generation = 2; // a reload: the old generation is replaced by it, not recycled
  h.add(4);
  h.exit(101);
  h.advance(1_000);
  expect(h.log.filter((l) => l.startsWith('spawn'))).toEqual(['spawn 100', 'spawn 101', 'spawn 102']);
});

test('the old child dying meanwhile leaves the replacement in its place; a child gone is forgotten', () => {
  const h = harness({ maxChildAge: 1_000 });
  h.add(1);
  h.add(2);
  h.advance(1_000);
  expect(h.log).toEqual(['spawn 100']);
  h.exit(1);
  // The next one starts at once: the replacement took the dead child's place.
  expect(h.log).toEqual(['spawn 100', 'spawn 101']);
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'spawn 101']);
  h.ready(101);
  expect(h.log).toEqual(['spawn 100', 'spawn 101', 'retire 2 age']);
});
