import { publish } from '../../../lib/manager/events';
import { MAX_RECYCLING, Recycler, type RecycleAction, type RecyclePool, type RecyclingOptions } from '../../../lib/manager/recycling';

type Phase = 'starting' | 'ready' | 'stopping';

/**
 * A pool without processes, run the way the manager runs the policy: ask, carry
 * out the answer (spawn a 'starting' child, or tell one to stop), ask again,
 * until the answer is nothing or a wait. `log` records what was carried out.
 */
function harness(options: RecyclingOptions, { maxWorkers = 1, random = 0 } = {}) {
  const pool = { now: 1_000, running: true, generation: 1, maxWorkers };
  let nextPid = 100;
  const children: Array<{ pid: number; generation: number; phase: Phase; counted: boolean }> = [];
  const log: string[] = [];
  let wakes = 0;
  const recycler = new Recycler(options, () => wakes++, () => random);
  const snapshot = (): RecyclePool => ({ ...pool, children: children.map((c) => ({ ...c })) });
  const find = (pid: number) => children.find((c) => c.pid === pid)!;
  let lastWait: number | undefined;
  /** The manager's loop: carry out answers until there is nothing to do. */
  const loop = (): void => {
    lastWait = undefined;
    for (let i = 0; i < 20; i++) {
      const action: RecycleAction | undefined = recycler.decide(snapshot());
      if (!action) return;
      if (action.kind === 'wait') {
        lastWait = action.until;
        return;
      }
      if (action.kind === 'spawn') {
        const pid = nextPid++;
        children.push({ pid, generation: pool.generation, phase: 'starting', counted: true });
        recycler.spawned(pid, pool.now);
        log.push(`spawn ${pid}`);
      } else {
        const [pid] = action.pids;
        Object.assign(find(pid), { phase: 'stopping', counted: false });
        log.push(`retire ${pid} ${action.reason}`);
      }
    }
    throw new Error('the loop did not settle');
  };
  const add = (...pids: number[]): void => {
    for (const pid of pids) {
      children.push({ pid, generation: pool.generation, phase: 'ready', counted: true });
      recycler.spawned(pid, pool.now);
    }
  };
  const ready = (pid: number): void => {
    find(pid).phase = 'ready';
    loop();
  };
  const exit = (pid: number): void => {
    children.splice(children.indexOf(find(pid)), 1);
    recycler.ended(pid);
    loop();
  };
  const advance = (ms: number): void => {
    pool.now += ms;
    loop();
  };
  return {
    pool,
    recycler,
    log,
    add,
    ready,
    exit,
    advance,
    loop,
    find,
    get lastWait() {
      return lastWait;
    },
    get wakes() {
      return wakes;
    },
  };
}

test('by age: a wait until maxChildAge, then the replacement first and the old child only once it is ready', () => {
  const h = harness({ maxChildAge: 10_000 });
  h.add(1);
  h.loop();
  expect(h.lastWait).toBe(11_000);
  h.advance(9_999);
  expect(h.log).toEqual([]);
  h.advance(1);
  expect(h.log).toEqual(['spawn 100']);
  expect(h.recycler.replacing).toEqual([1]);
  expect(h.recycler.surge).toBe(MAX_RECYCLING);
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'retire 1 age']);
  expect(h.recycler.surge).toBe(0);
  expect(h.lastWait).toBe(21_000); // the replacement's own deadline
});

test('ageJitter adds a random whole number of ms from 0 to ageJitter', () => {
  const h = harness({ maxChildAge: 10_000, ageJitter: 5_000 }, { random: 0.9999 });
  h.add(1);
  h.loop();
  expect(h.lastWait).toBe(1_000 + 15_000);
});

test('four children due together are recycled one at a time, never fewer than maxWorkers ready', () => {
  const h = harness({ maxChildAge: 1_000 }, { maxWorkers: 4 });
  h.add(1, 2, 3, 4);
  h.advance(1_000);
  expect(h.log).toEqual(['spawn 100']);
  for (const pid of [100, 101, 102, 103]) h.ready(pid);
  expect(h.log).toEqual(['spawn 100', 'retire 1 age', 'spawn 101', 'retire 2 age', 'spawn 102', 'retire 3 age', 'spawn 103', 'retire 4 age']);
});

test('a replacement that dies before it is ready: the old child keeps serving, and a new replacement is asked for', () => {
  const h = harness({ maxChildAge: 1_000 });
  h.add(1);
  h.advance(1_000);
  h.exit(100);
  expect(h.log).toEqual(['spawn 100', 'spawn 101']); // the policy paces this spawn like any crash
  expect(h.find(1).phase).toBe('ready');
  h.ready(101);
  expect(h.log.at(-1)).toBe('retire 1 age');
});

test('by memory: a report over maxChildMemory wakes the loop and makes the child due; at the limit nothing', () => {
  const h = harness({ maxChildMemory: 100 });
  h.add(1);
  h.recycler.memory(1, 100);
  expect(h.wakes).toBe(0);
  h.recycler.memory(1, 101);
  expect(h.wakes).toBe(1);
  h.loop();
  h.recycler.memory(1, 500); // already being replaced: not twice
  expect(h.wakes).toBe(1);
  expect(h.log).toEqual(['spawn 100']);
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'retire 1 memory']);
});

test("by memory from the beat channel: this pool's children only, and only a number", () => {
  const h = harness({ maxChildMemory: 100 });
  h.add(1);
  publish('beat', { pid: 999_999, manager: 1, at: 0, beat: { rss: 500 } }); // another pool's child
  publish('beat', { pid: 1, manager: 1, at: 0, beat: { rss: '500' } });
  publish('beat', { pid: 1, manager: 1, at: 0, beat: { rss: 100 } });
  expect(h.wakes).toBe(0);
  publish('beat', { pid: 1, manager: 1, at: 0, beat: { rss: 101 } });
  expect(h.wakes).toBe(1);
  h.loop();
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'retire 1 memory']);
  h.exit(1);
  publish('beat', { pid: 1, manager: 1, at: 0, beat: { rss: 500 } }); // gone: forgotten
  expect(h.wakes).toBe(1);
});

test('by requests: the replacement at once, and the old child is never told (it stops by itself at its limit)', () => {
  const h = harness({});
  h.add(1);
  h.recycler.due(1, 'requests');
  h.loop();
  h.ready(100);
  expect(h.log).toEqual(['spawn 100']);
  expect(h.recycler.surge).toBe(1); // the surge lasts until the old child leaves
  h.exit(1);
  expect(h.recycler.surge).toBe(0);
  expect(h.log).toEqual(['spawn 100']); // its replacement holds its place
});

test('children due by requests get their replacements at once, beside a recycle by memory', () => {
  const h = harness({ maxChildMemory: 100 }, { maxWorkers: 3 });
  h.add(1, 2, 3);
  h.recycler.memory(1, 200);
  h.recycler.memory(2, 200); // due by memory: waits its turn…
  h.loop();
  expect(h.log).toEqual(['spawn 100']);
  h.recycler.due(2, 'requests'); // …until it nears its request limit: then it goes at once
  h.recycler.due(3, 'requests');
  h.loop();
  expect(h.log).toEqual(['spawn 100', 'spawn 101', 'spawn 102']);
  expect(h.recycler.surge).toBe(3);
  // Children near their request limit are not counted on: 1 goes only once three others are ready.
  h.ready(101);
  h.ready(102);
  expect(h.log.slice(3)).toEqual([]);
  h.ready(100);
  expect(h.log.slice(3)).toEqual(['retire 1 memory']);
  h.exit(2);
  h.exit(3);
  expect(h.recycler.surge).toBe(0);
  expect(h.log.slice(3)).toEqual(['retire 1 memory']);
});

test('a child due by requests that stops by itself first leaves its starting replacement in its place', () => {
  const h = harness({}, { maxWorkers: 2 });
  h.add(1, 2);
  h.recycler.due(1, 'requests');
  h.recycler.due(2, 'requests');
  h.loop();
  expect(h.log).toEqual(['spawn 100', 'spawn 101']);
  h.exit(1); // reached its limit and drained before 100 was ready
  h.exit(2);
  expect(h.log).toEqual(['spawn 100', 'spawn 101']);
  h.ready(100);
  h.ready(101);
  expect(h.log).toEqual(['spawn 100', 'spawn 101']);
  expect(h.recycler.surge).toBe(0);
});

test('nothing while the pool is stopped, while the pool is short of maxWorkers, or while a child is starting', () => {
  const h = harness({ maxChildAge: 1_000 }, { maxWorkers: 2 });
  h.add(1);
  h.pool.running = false;
  h.advance(1_000);
  expect(h.log).toEqual([]);
  h.pool.running = true;
  h.loop();
  expect(h.log).toEqual([]); // one child of two: the base fill comes first
  h.add(2);
  h.find(2).phase = 'starting';
  h.loop();
  expect(h.log).toEqual([]);
  h.ready(2);
  expect(h.log).toEqual(['spawn 100']);
});

test('a child of an older generation, or one already stopping, is not recycled', () => {
  const h = harness({ maxChildAge: 1_000 }, { maxWorkers: 2 });
  h.add(1, 2);
  h.pool.generation = 2; // a reload: its own signal replaces generation 1
  Object.assign(h.find(2), { phase: 'stopping', counted: false });
  h.advance(1_000);
  expect(h.log).toEqual([]);
});

test('the old child dying meanwhile leaves the starting replacement in its place', () => {
  const h = harness({ maxChildAge: 1_000 }, { maxWorkers: 2 });
  h.add(1, 2);
  h.advance(1_000);
  expect(h.log).toEqual(['spawn 100']);
  h.exit(1);
  expect(h.recycler.replacing).toEqual([]);
  expect(h.log).toEqual(['spawn 100']); // no spawn: 100 holds the slot; 2 waits until 100 is ready
  h.ready(100);
  expect(h.log).toEqual(['spawn 100', 'spawn 101']);
  h.ready(101);
  expect(h.log).toEqual(['spawn 100', 'spawn 101', 'retire 2 age']);
});

test("a replacement inherits the slot of the child it replaces (never maxWorkers), once per child being replaced", () => {
  type Child = { pid: number; generation: number; phase: Phase; counted: boolean; slot: number };
  const recycler = new Recycler({ maxChildMemory: 100 }, () => {});
  const children: Child[] = [
    { pid: 1, generation: 1, phase: 'ready', counted: true, slot: 0 },
    { pid: 2, generation: 1, phase: 'ready', counted: true, slot: 1 },
  ];
  for (const child of children) recycler.spawned(child.pid, 0);
  const decide = (): RecycleAction | undefined => recycler.decide({ now: 10, running: true, generation: 1, maxWorkers: 2, children: children.map((c) => ({ ...c })) });
  recycler.due(2, 'requests');
  expect(decide()).toEqual({ kind: 'spawn', count: 1, slot: 1 });
  children.push({ pid: 100, generation: 1, phase: 'starting', counted: true, slot: 1 });
  recycler.due(1, 'requests');
  expect(decide()).toEqual({ kind: 'spawn', count: 1, slot: 0 });
  children.push({ pid: 101, generation: 1, phase: 'starting', counted: true, slot: 0 });
  expect(decide()).toBeUndefined(); // each child being replaced has its replacement
  // A replacement that dies before it is ready: the next one takes the same slot.
  children.splice(children.findIndex((c) => c.pid === 100), 1);
  recycler.ended(100);
  expect(decide()).toEqual({ kind: 'spawn', count: 1, slot: 1 });
});

test('a replacement takes the slot of the child it replaces, so slots stay within 0 … maxWorkers − 1 through the surge', () => {
  const recycler = new Recycler({ maxChildMemory: 100 }, () => {});
  const children: RecyclePool['children'][number][] = [
    { pid: 1, generation: 1, phase: 'ready', counted: true, slot: 0 },
    { pid: 2, generation: 1, phase: 'ready', counted: true, slot: 1 },
  ];
  const pool = (): RecyclePool => ({ now: 1_000, running: true, generation: 1, maxWorkers: 2, children: [...children] });
  recycler.spawned(1, 0);
  recycler.spawned(2, 0);
  recycler.memory(2, 200);
  expect(recycler.decide(pool())).toEqual({ kind: 'spawn', count: 1, slot: 1 });
  // Its replacement is starting in slot 1: nothing more until it is ready.
  children.push({ pid: 3, generation: 1, phase: 'starting', counted: true, slot: 1 });
  recycler.spawned(3, 1_000);
  expect(recycler.decide(pool())).toBeUndefined();
  children[2] = { ...children[2], phase: 'ready' };
  expect(recycler.decide(pool())).toEqual({ kind: 'retire', pids: [2], reason: 'memory' });
});
