/** A rolling reload frees an old child's slot when it is told to stop, not when it exits. */
import { expectBehaviour } from './support/behaviour';
import { start } from './support/run';

type Ev = { event: string; pid: number; generation?: number; alive?: number; status?: number };

test('a rolling reload of children that take 2 s to drain: each replacement is spawned before the old child it replaces is reaped, with more than maxWorkers alive', async () => {
  const p = start(['slow-drain.js']);
  await p.waitForEvents('up', 3);
  p.child.kill('SIGHUP');
  await p.waitFor((out) => out.split('\n').filter((line) => line.includes('"event":"up"') && line.includes('"generation":2')).length >= 3, 60_000, 'three children of generation 2 up');
  await p.waitForEvents('reap', 3, 60_000);
  const events = p.events() as Ev[];
  const old = events.filter((e) => e.event === 'spawn' && e.generation === 1);
  const replacements = events.filter((e) => e.event === 'spawn' && e.generation === 2);
  expect(old).toHaveLength(3);
  expect(replacements).toHaveLength(3);
  // The rolling forward tells the old children in spawn order; the i-th replacement is the i-th old child's.
  old.forEach((oldChild, i) => {
    const replaced = events.indexOf(replacements[i]);
    const reaped = events.findIndex((e) => e.event === 'reap' && e.pid === oldChild.pid);
    expect(reaped).toBeGreaterThan(-1);
    expect(events[reaped].status).toBe(0); // it drained and finished, nobody killed it
    expectBehaviour(`replacement ${i + 1} was spawned only after old child ${i + 1} exited: its slot was freed at exit, not when it was told to stop`, () =>
      expect({ replacementSpawnedBeforeReap: replaced < reaped }).toEqual({ replacementSpawnedBeforeReap: true }),
    );
    expectBehaviour(`replacement ${i + 1} started with no more than maxWorkers (3) children alive: old children draining must not hold their slots`, () =>
      expect(replacements[i].alive).toBeGreaterThan(3),
    );
    // The next old child is told 250 ms after this one, long before this one has drained (2 s):
    // its replacement comes then too, not at this reap (the reap would be the first event to fill the pool).
    if (i + 1 < old.length) {
      expectBehaviour(`replacement ${i + 2} was spawned only at the reap of old child ${i + 1}, not when old child ${i + 2} was told to stop`, () =>
        expect({ nextReplacementBeforeThisReap: events.indexOf(replacements[i + 1]) < reaped }).toEqual({ nextReplacementBeforeThisReap: true }),
      );
    }
  });
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.code).toBe(0);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});
