/** The event channel (parallel-prefork-ipc:*) seen by a subscriber in a real manager. */
import { start } from './support/run';

type Ev = Record<string, unknown> & { channel: string; pid?: number; generation?: number; step?: string; manager: number; at: number };

/**
 * The pool's events in order, without `beat` and `status` (the scoreboard's, issue 19): those come
 * from a timer in the child, so where they fall among the others depends on timing.
 */
function poolEvents(events: Array<Record<string, unknown>>): Ev[] {
  return (events.filter((e) => e.event === 'ev') as Ev[]).filter((e) => e.channel !== 'beat' && e.channel !== 'status');
}

function pool(CASE: string) {
  return start(['events-pool.js'], { env: { ...process.env, CASE } });
}

test('one lifetime publishes spawn → lifetime → ready → callback:start → callback:end → reap → exit, without an onChildReap hook', async () => {
  const p = pool('once');
  await p.waitFor((out) => out.includes('"channel":"exit"'), 30_000, 'the exit event');
  p.child.kill('SIGTERM');
  const done = await p.done;
  expect(done.events.at(-1)).toEqual({ event: 'end', left: 0 });
  const all = poolEvents(done.events);
  // ready: without `listen`, a child is ready once its start() resolved (it says so on its own).
  // The TERM that ends the test is the pool's stop: its own event, after the child's.
  expect(all.map((e) => e.channel)).toEqual(['spawn', 'lifetime', 'ready', 'callback:start', 'callback:end', 'reap', 'exit', 'stop']);
  expect(all[7]).toMatchObject({ signal: 'TERM', generation: 1, manager: 1 });
  const evs = all.slice(0, 7);
  const [spawn, lifetime, ready, callStart, callEnd, reap, exit] = evs;
  expect(ready).toMatchObject({ generation: 1 });
  const pid = spawn.pid;
  expect(typeof pid).toBe('number');
  // The child's first beat (sent at its hello) is published too, with its pid and the manager's id.
  const beats = (done.events.filter((e) => e.event === 'ev') as Ev[]).filter((e) => e.channel === 'beat');
  expect(beats.length).toBeGreaterThanOrEqual(1);
  expect(beats[0]).toMatchObject({ pid, manager: spawn.manager, beat: expect.objectContaining({ type: 'beat', seq: 0 }) as unknown });
  for (const e of evs) {
    expect(e.pid).toBe(pid);
    expect(e.manager).toBe(1);
    expect(typeof e.at).toBe('number');
  }
  for (let i = 1; i < evs.length; i++) expect(evs[i].at).toBeGreaterThanOrEqual(evs[i - 1].at);
  expect(spawn).toMatchObject({ generation: 1 });
  expect(lifetime).toMatchObject({ generation: 1, lifetime: 1 });
  expect(callStart).toMatchObject({ name: 'work' });
  expect(callEnd).toMatchObject({ name: 'work', ok: true });
  expect(callEnd.durationMs).toEqual(expect.any(Number));
  expect(callEnd).not.toHaveProperty('code');
  expect(reap).toMatchObject({ generation: 1, status: 3, info: { reason: 'finished', exitCode: 3, signal: null, lifetime: 1 } });
  expect(exit).toMatchObject({ generation: 1, code: 3, signal: null });
});

test('a rolling HUP publishes reload begin, a step per old child, and done once the old generation is gone', async () => {
  const p = pool('rolling');
  await p.waitForEvents('up', 2, 30_000);
  const oldPids = p.events('up').map((e) => e.pid).sort();
  p.child.kill('SIGHUP');
  await p.waitFor((out) => out.includes('"step":"done"'), 30_000, 'reload done');
  await p.waitForEvents('up', 4, 30_000);
  p.child.kill('SIGTERM');
  const done = await p.done;
  expect(done.events.at(-1)).toEqual({ event: 'end', left: 0 });
  const evs = poolEvents(done.events);
  const reload = evs.filter((e) => e.channel === 'reload');
  // The final TERM is no reload: begin, two steps, done, and nothing after.
  expect(reload.map((e) => e.step)).toEqual(['begin', 'step', 'step', 'done']);
  for (const e of reload) expect(e.generation).toBe(1);
  expect(reload.filter((e) => e.step === 'step').map((e) => e.pid).sort()).toEqual(oldPids);
  // done comes after both old children's exit events.
  const doneAt = evs.indexOf(reload[3]);
  for (const pid of oldPids) {
    const exitAt = evs.findIndex((e) => e.channel === 'exit' && e.pid === pid);
    expect(exitAt).toBeGreaterThanOrEqual(0);
    expect(exitAt).toBeLessThan(doneAt);
  }
  // The replacements are generation 2, each with its first lifetime.
  const spawns2 = evs.filter((e) => e.channel === 'spawn' && e.generation === 2);
  expect(spawns2).toHaveLength(2);
  for (const s of spawns2) expect(evs.some((e) => e.channel === 'lifetime' && e.pid === s.pid && e.lifetime === 1)).toBe(true);
});

test('a shrink (removeWorker) publishes retire for the oldest child, reason maxWorkers, then its exit', async () => {
  const p = pool('shrink');
  await p.waitForEvents('up', 2, 30_000);
  p.child.kill('SIGTTOU');
  await p.waitFor((out) => out.includes('"channel":"retire"') && /"channel":"exit"/.test(out), 30_000, 'retire and exit');
  p.child.kill('SIGTERM');
  const done = await p.done;
  expect(done.events.at(-1)).toEqual({ event: 'end', left: 0 });
  const evs = poolEvents(done.events);
  const oldest = evs.find((e) => e.channel === 'spawn')!.pid;
  const retires = evs.filter((e) => e.channel === 'retire');
  // The final TERM stops the other child with no retire: only the shrink is the pool's own doing.
  expect(retires).toEqual([expect.objectContaining({ pid: oldest, generation: 1, reason: 'maxWorkers', manager: 1 })]);
  const exits = evs.filter((e) => e.channel === 'exit');
  expect(exits[0]).toMatchObject({ pid: oldest, code: null, signal: 'SIGTERM' });
  expect(evs.indexOf(retires[0])).toBeLessThan(evs.indexOf(exits[0]));
});

test('a reused child: a lifetime event for each lifetime, a reap per finish(), retire (served) and one exit', async () => {
  const p = pool('reuse');
  await p.waitFor((out) => out.includes('"channel":"exit"'), 30_000, 'the exit event');
  p.child.kill('SIGTERM');
  const done = await p.done;
  expect(done.events.at(-1)).toEqual({ event: 'end', left: 0 });
  const all = poolEvents(done.events);
  expect(all.map((e) => e.channel)).toEqual(['spawn', 'lifetime', 'ready', 'reap', 'lifetime', 'reap', 'retire', 'exit', 'stop']);
  const evs = all.slice(0, 8);
  expect(evs.filter((e) => e.channel === 'lifetime').map((e) => e.lifetime)).toEqual([1, 2]);
  expect(evs.filter((e) => e.channel === 'reap').map((e) => (e.info as { reason: string; lifetime: number }))).toEqual([
    expect.objectContaining({ reason: 'finished', lifetime: 1 }),
    expect.objectContaining({ reason: 'finished', lifetime: 2 }),
  ]);
  expect(evs[6]).toMatchObject({ reason: 'served' });
  expect(evs[7]).toMatchObject({ code: 0, signal: null });
  expect(new Set(evs.map((e) => e.pid)).size).toBe(1);
});
