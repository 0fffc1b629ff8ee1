/** Stable slots (docs/servers.md, "Slots"): a replacement inherits the slot of the child it replaces. */
import { start } from './support/run';

type Ev = { event: string; pid: number; slot: number; env?: string; workerData?: { slot: number }; generation?: number; channel?: string };

test('4 children, 20 respawns: the live slots are always a permutation of 0–3; each child knows its slot', async () => {
  const p = start(['slots.js']);
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  const live = new Map<number, number>();
  let full = 0;
  for (const e of end.events as Ev[]) {
    if (e.event === 'spawn') {
      live.set(e.pid, e.slot);
      if (live.size === 4) {
        full++;
        expect([...live.values()].sort()).toEqual([0, 1, 2, 3]);
      }
    } else if (e.event === 'reap') {
      expect(live.get(e.pid)).toBe(e.slot);
      live.delete(e.pid);
    }
  }
  expect(full).toBeGreaterThanOrEqual(20);
  const spawned = new Map((end.events as Ev[]).filter((e) => e.event === 'spawn').map((e) => [e.pid, e.slot]));
  const children = (end.events as Ev[]).filter((e) => e.event === 'child');
  expect(children.length).toBeGreaterThanOrEqual(20);
  for (const child of children) {
    expect(child.slot).toBe(spawned.get(child.pid));
    expect(child.env).toBe(String(child.slot));
    expect(child.workerData).toEqual({ slot: child.slot });
  }
});

test('a rolling reload: each new child takes the slot of the old child it replaces', async () => {
  const p = start(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify({ watch: true, options: { maxWorkers: 2, trapSignals: { TERM: 'TERM', HUP: ['TERM', 50] } } }) } });
  const ready = (generation: number): Ev[] => (p.events('ev') as Ev[]).filter((e) => e.channel === 'ready' && e.generation === generation);
  await p.waitFor(() => ready(1).length === 2, 30_000, 'generation 1 ready');
  expect(ready(1).map((e) => e.slot).sort()).toEqual([0, 1]);
  p.child.kill('SIGHUP');
  await p.waitFor(() => (p.events('ev') as Array<Ev & { step?: string }>).some((e) => e.channel === 'reload' && e.step === 'done'), 60_000, 'the reload done');
  expect(ready(2).map((e) => e.slot).sort()).toEqual([0, 1]);
  // Each reload step told the old child of the slot its ready successor holds.
  const steps = (p.events('ev') as Array<Ev & { step?: string }>).filter((e) => e.channel === 'reload' && e.step === 'step');
  const slotOf = new Map((p.events('ev') as Ev[]).filter((e) => e.channel === 'spawn').map((e) => [e.pid, e.slot]));
  for (const step of steps) {
    const successor = ready(2).find((e) => e.slot === slotOf.get(step.pid));
    expect(successor).toBeDefined();
  }
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test('recycling by age, 20 times over 4 children: a replacement shares its old child\'s slot until that one is told to stop; slots never leave 0–3', async () => {
  const p = start(['slots-recycle.js']);
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  const live = new Map<number, number>();
  const told = new Set<number>();
  let checked = 0;
  for (const e of end.events as Array<Ev & { reason?: string }>) {
    if (e.event === 'spawn') {
      expect([0, 1, 2, 3]).toContain(e.slot);
      live.set(e.pid, e.slot);
    } else if (e.event === 'retire') {
      expect(e.reason).toBe('age');
      told.add(e.pid);
      // The old child is told once its successor is ready and holds its slot: the others are a permutation.
      const serving = [...live].filter(([pid]) => !told.has(pid)).map(([, slot]) => slot);
      expect(serving.sort()).toEqual([0, 1, 2, 3]);
      checked++;
    } else if (e.event === 'exit') {
      live.delete(e.pid);
    }
  }
  expect(checked).toBeGreaterThanOrEqual(18);
  for (const child of (end.events as Ev[]).filter((e) => e.event === 'child')) expect([0, 1, 2, 3]).toContain(child.slot);
}, 90_000);
