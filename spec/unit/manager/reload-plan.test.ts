import { ReloadPlan } from '../../../lib/manager/reload-plan';

type Phase = 'starting' | 'ready' | 'stopping';
const child = (pid: number, generation: number, phase: Phase = 'ready', slot?: number) => ({ pid, generation, phase, counted: phase !== 'stopping', slot });
const pool = (children: ReturnType<typeof child>[], now = 1000) => ({ now, generation: 2, maxWorkers: 2, children });
const config = { surge: 1, reloadAttempts: 2 };

test('rolling: surge one new child, stop the old one it replaces once it is ready, one step per interval', () => {
  const plan = new ReloadPlan('TERM', 500, config);
  const old = [child(1, 1, 'ready', 0), child(2, 1, 'ready', 1)];
  expect(plan.decide(pool(old), 0)).toEqual({ kind: 'spawn', count: 1, slot: 0 });
  // Starting: nothing more (surge 1, and maxWorkers + surge processes).
  expect(plan.decide(pool([...old, child(3, 2, 'starting', 0)]), 0)).toEqual({ kind: 'steady' });
  // Ready: the old child of its slot is told.
  expect(plan.decide(pool([...old, child(3, 2, 'ready', 0)]), 0)).toEqual({ kind: 'reload-step', pids: [1], signal: 'TERM' });
  // Old 1 drains (a process, not counted): no spawn beyond maxWorkers + surge processes.
  const draining = { ...child(1, 1, 'stopping', 0) };
  expect(plan.decide(pool([draining, old[1], child(3, 2, 'ready', 0)], 1100), 0)).toEqual({ kind: 'steady' });
  // Gone: the next new child, with the slot of the old child still serving.
  expect(plan.decide(pool([old[1], child(3, 2, 'ready', 0)], 1200), 0)).toEqual({ kind: 'spawn', count: 1, slot: 1 });
  // Ready before the interval has passed: wait for it.
  expect(plan.decide(pool([old[1], child(3, 2, 'ready', 0), child(4, 2, 'ready', 1)], 1300), 0)).toEqual({ kind: 'wait', until: 1500 });
  expect(plan.decide(pool([old[1], child(3, 2, 'ready', 0), child(4, 2, 'ready', 1)], 1500), 0)).toEqual({ kind: 'reload-step', pids: [2], signal: 'TERM' });
  // No old child counts: the plan is over.
  expect(plan.decide(pool([child(3, 2, 'ready', 0), child(4, 2, 'ready', 1)], 1600), 0)).toBeUndefined();
});

test('all at once: the whole new generation beside the old, the old told once every new child is ready', () => {
  const plan = new ReloadPlan('TERM', 0, config);
  const old = [child(1, 1), child(2, 1)];
  expect(plan.decide(pool(old), 0)).toMatchObject({ kind: 'spawn' });
  expect(plan.decide(pool([...old, child(3, 2, 'starting')]), 0)).toMatchObject({ kind: 'spawn' });
  expect(plan.decide(pool([...old, child(3, 2, 'ready'), child(4, 2, 'starting')]), 0)).toEqual({ kind: 'steady' });
  expect(plan.decide(pool([...old, child(3, 2, 'ready'), child(4, 2, 'ready')]), 0)).toEqual({ kind: 'reload-step', pids: [1, 2], signal: 'TERM' });
});

test('pacing (crash backoff) delays the next new child; old children still starting (a superseded reload) are stopped at once', () => {
  const plan = new ReloadPlan('TERM', 100, config);
  expect(plan.decide(pool([child(1, 1), child(2, 1)]), 250)).toEqual({ kind: 'wait', until: 1250 });
  expect(plan.decide(pool([child(1, 1), child(2, 1), child(5, 1, 'starting')]), 0)).toEqual({ kind: 'reload-step', pids: [5], signal: 'TERM' });
});

test('reloadAttempts failed steps abandon the reload', () => {
  const plan = new ReloadPlan('TERM', 100, config);
  expect(plan.failed()).toBe(false);
  expect(plan.failed()).toBe(true);
  expect(plan.failures).toBe(2);
});
