/**
 * Children that crash before they are ready: the pause before the next spawn
 * grows ×1.5 per crash in a row from errRespawnInterval, and falls back to the
 * first step once a child is ready; with maxRestarts, start() rejects within
 * restartWindow, naming the last child's error.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start } from './support/run';

const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-crash-loop-'));
type Ev = { event: string; t: number; pid: number; reason?: string };

test('the pause between crashes grows ×1.5 from errRespawnInterval, and starts again once a child was ready', async () => {
  const FIRST = 200;
  const counter = path.join(dir, 'grow');
  const p = start(['crash-loop.js'], { env: { ...process.env, CONFIG: JSON.stringify({ counter, upAfter: 5, upForMs: 300, options: { errRespawnInterval: FIRST } }) } });
  // Spawns 1–4 crash at once; from 5 on each comes up (ready), then crashes 300 ms later.
  await p.waitForEvents('spawn', 7, 60_000);
  p.child.kill('SIGTERM');
  const end = await p.done;
  const spawns = end.events.filter((e) => e.event === 'spawn') as Ev[];
  const reaps = end.events.filter((e) => e.event === 'reap') as Ev[];
  // The pause: from a reap to the next spawn.
  const pauses = reaps.slice(0, 6).map((reap, i) => spawns[i + 1].t - reap.t);
  console.log(`pauses after each crash: ${pauses.join(', ')} ms`);
  // Timers never fire early; a loaded machine makes them late, hence only lower bounds, and upper bounds with room.
  const expected = [FIRST, FIRST * 1.5, FIRST * 2.25, FIRST * 3.375];
  for (let i = 0; i < 4; i++) expect(pauses[i]).toBeGreaterThanOrEqual(expected[i] - 2);
  expect(pauses[3]).toBeGreaterThan(pauses[0]);
  // Spawns 5 and 6 were ready: the pause after each one's crash is the first step again.
  expect(reaps[4].reason).toBe('crashed');
  for (const i of [4, 5]) {
    expect(pauses[i]).toBeGreaterThanOrEqual(FIRST - 2);
    expect(pauses[i]).toBeLessThan(FIRST * 3.375);
  }
  expect(end.stderr).toMatch(/next spawn in \d+ ms \(errRespawnInterval, ×1\.5 per crash in a row until a child is ready\)/);
});

test('maxRestarts: start() rejects within restartWindow, naming the last child\'s error', async () => {
  const counter = path.join(dir, 'give-up');
  const p = start(['crash-loop.js'], {
    env: { ...process.env, CONFIG: JSON.stringify({ counter, options: { errRespawnInterval: 50, maxRestarts: 2, restartWindow: 60_000 } }) },
  });
  const end = await p.done;
  const [gaveUp] = end.events.filter((e) => e.event === 'gave-up') as Array<{ message: string; afterMs: number }>;
  expect(gaveUp.message).toMatch(/^PreforkIPC gave up: 3 children failed within 60000 ms \(maxRestarts 2, restartWindow 60000 ms\); the last, pid \d+, crashed: Error: boom 3$/);
  expect(gaveUp.afterMs).toBeLessThan(60_000);
  expect(end.events.filter((e) => e.event === 'spawn')).toHaveLength(3);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
  expect(end.code).toBe(3);
});
