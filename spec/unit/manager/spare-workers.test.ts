import { subscribe } from '../../../lib/manager/events';
import type { ChildState, PoolState } from '../../../lib/manager/policy';
import { MAX_RAMP, MIN_IDLE_MS, SPARE_CHECK_MS, SpareWorkersPolicy, sizingPolicyFor } from '../../../lib/manager/spare-workers';
import { resolveOptions } from '../../../lib/options';

const options = { spawnInterval: 0, errRespawnInterval: 0 };
const spare = { minSpareWorkers: 2, maxSpareWorkers: 4, minWorkers: 1 };

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
const idle = (pid: number, since = 1000) => child(pid, { idleSince: since });
const busy = (pid: number) => child(pid);
const pool = (children: ChildState[], now = 10_000, maxWorkers = 100): PoolState => ({ now, running: true, generation: 1, maxWorkers, children });

/** Runs one check the way the manager does: asks, spawns one (a starting child), asks again, until wait or steady. */
function check(policy: SpareWorkersPolicy, children: ChildState[], now: number, maxWorkers = 100): { spawned: number; retired: number[]; answer: string } {
  let spawned = 0;
  const retired: number[] = [];
  for (;;) {
    const action = policy.decide(pool(children, now, maxWorkers));
    if (action.kind === 'spawn') {
      policy.spawned(now);
      spawned++;
      children.push(child(90_000 + children.length, { phase: 'starting' }));
    } else if (action.kind === 'retire') {
      retired.push(...action.pids);
      for (const pid of action.pids) children.splice(children.findIndex((c) => c.pid === pid), 1, child(pid, { phase: 'stopping', counted: false }));
    } else return { spawned, retired, answer: action.kind };
  }
}

test('all busy: spawns ramp 1, 2, 4, 8, … per check, capped at 32 and by maxWorkers', () => {
  const policy = new SpareWorkersPolicy(options, { minSpareWorkers: 100, maxSpareWorkers: 200, minWorkers: 0 });
  const children: ChildState[] = [];
  const perCheck: number[] = [];
  let now = 10_000;
  for (let i = 0; i < 9; i++, now += SPARE_CHECK_MS) {
    const result = check(policy, children, now, 90);
    perCheck.push(result.spawned);
    // Each batch comes up busy before the next check.
    for (let j = 0; j < children.length; j++) children[j] = busy(children[j].pid);
  }
  expect(perCheck).toEqual([1, 2, 4, 8, 16, MAX_RAMP, 90 - 63, 0, 0]);
});

test('a check acts at most once per SPARE_CHECK_MS: an event in between waits for the next check', () => {
  const policy = new SpareWorkersPolicy(options, spare);
  const children = [busy(1), busy(2)];
  expect(check(policy, children, 10_000).spawned).toBe(1);
  children[2] = busy(children[2].pid);
  const early = policy.decide(pool(children, 10_050));
  expect(early).toEqual({ kind: 'wait', until: 10_000 + SPARE_CHECK_MS });
  expect(check(policy, children, 10_000 + SPARE_CHECK_MS).spawned).toBe(2);
});

test('idle within [min, max]: steady, and the ramp starts again at 1', () => {
  const policy = new SpareWorkersPolicy(options, spare);
  const children = [busy(1)];
  check(policy, children, 10_000);
  expect(policy.decide(pool([busy(1), idle(2), idle(3)], 20_000))).toEqual({ kind: 'steady' });
  const again = [busy(1), busy(2), busy(3)];
  expect(check(policy, again, 30_000).spawned).toBe(1);
});

test('a starting child counts as idle: no second spawn for the same shortage', () => {
  const policy = new SpareWorkersPolicy(options, spare);
  expect(policy.decide(pool([busy(1), child(2, { phase: 'starting' }), child(3, { phase: 'starting' })]))).toEqual({ kind: 'steady' });
});

test('too many idle: the one idle the longest is retired, one per check, never a busy or starting one, never below minWorkers', () => {
  const policy = new SpareWorkersPolicy(options, spare);
  const children = [busy(1), idle(2, 500), idle(3, 100), idle(4, 900), idle(5, 700), idle(6, 300), child(7, { phase: 'starting' })];
  const first = check(policy, children, 10_000);
  expect(first.retired).toEqual([3]);
  expect(first.answer).toBe('wait');
  expect(check(policy, children, 10_000 + SPARE_CHECK_MS).retired).toEqual([6]);
  // Idle 4 of 6 live: within bounds.
  expect(check(policy, children, 10_000 + 2 * SPARE_CHECK_MS).answer).toBe('steady');
  const floor = new SpareWorkersPolicy(options, { minSpareWorkers: 0, maxSpareWorkers: 0, minWorkers: 2 });
  const two = [idle(1), idle(2)];
  expect(check(floor, two, 10_000)).toMatchObject({ retired: [], answer: 'steady' });
});

test('below minWorkers: spawns up to it even with enough idle; pacing (spawnInterval) still applies', () => {
  const policy = new SpareWorkersPolicy({ spawnInterval: 500, errRespawnInterval: 0 }, { minSpareWorkers: 0, maxSpareWorkers: 10, minWorkers: 3 });
  const children: ChildState[] = [];
  expect(check(policy, children, 10_000).spawned).toBe(1);
  expect(policy.decide(pool(children, 10_200))).toEqual({ kind: 'wait', until: 10_500 });
});

test('not running: steady; the sizing event says what each check did', () => {
  const policy = new SpareWorkersPolicy(options, spare, 7);
  expect(policy.decide({ ...pool([]), running: false })).toEqual({ kind: 'steady' });
  const seen: unknown[] = [];
  const unsubscribe = subscribe('sizing', (message) => seen.push(message));
  try {
    check(policy, [busy(1)], 10_000);
  } finally {
    unsubscribe();
  }
  expect(seen).toEqual([{ action: 'spawn', count: 1, idle: 0, busy: 1, alive: 1, manager: 7, at: 10_000 }]);
});

test('sizingPolicyFor: spare workers only when asked for', () => {
  expect(sizingPolicyFor(resolveOptions({}), 1)).not.toBeInstanceOf(SpareWorkersPolicy);
  expect(sizingPolicyFor(resolveOptions({ minSpareWorkers: 1, maxSpareWorkers: 3 }), 1)).toBeInstanceOf(SpareWorkersPolicy);
});

test('a child idle for less than MIN_IDLE_MS is not retired yet (its busy report may be on its way): the policy looks again then', () => {
  const policy = new SpareWorkersPolicy(options, { minSpareWorkers: 0, maxSpareWorkers: 1, minWorkers: 0 });
  const now = 10_000;
  const fresh = [idle(1, now - 10), idle(2, now - 20)];
  expect(policy.decide(pool(fresh, now))).toEqual({ kind: 'wait', until: now + MIN_IDLE_MS });
  expect(policy.decide(pool(fresh, now + MIN_IDLE_MS))).toEqual({ kind: 'retire', pids: [2], reason: 'idle' });
});

test('each check spawns its whole allowance, even once the children just spawned cover the shortage (Apache)', () => {
  const policy = new SpareWorkersPolicy(options, { minSpareWorkers: 1, maxSpareWorkers: 10, minWorkers: 0 });
  const children = [busy(1)];
  expect(check(policy, children, 10_000).spawned).toBe(1);
  for (let j = 0; j < children.length; j++) children[j] = busy(children[j].pid);
  expect(check(policy, children, 10_000 + SPARE_CHECK_MS).spawned).toBe(2);
});
