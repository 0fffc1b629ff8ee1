/**
 * A bad deploy cannot take the service down (docs/servers.md, "Reloads that
 * wait, and roll back"): under load, a HUP whose new code throws before
 * serve() is rolled back after reloadAttempts failed steps, the old
 * generation serving throughout (0 failed requests), onReloadFailed hearing
 * the thrown error; then a fixed deploy and a HUP bring the new generation in,
 * still with 0 failed requests. Both reload forms, both balance modes. And a
 * new child that hangs before it is ready is rolled back after readyTimeout,
 * reaped as 'not-ready'.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { autocannon, expectNoFailedRequests, getBody, type LoadInstance, type LoadResult } from './support/http';
import { start, type Running } from './support/run';


jest.setTimeout(120_000);
const dir = mkdtempSync(path.join(tmpdir(), 'prefork-ipc-bad-deploy-'));
// Long enough for a child that throws to be seen crashing on a loaded machine, not timing out first.
const READY_TIMEOUT = 2500;
const ATTEMPTS = 2;

type Ev = { event: string; channel?: string; step?: string; pid?: number; generation?: number; reason?: string };

function pool(name: string, config: object): { p: Running; modeFile: string } {
  const modeFile = path.join(dir, name);
  writeFileSync(modeFile, 'ok');
  const p = start(['http-pool.js'], { env: { ...process.env, CONFIG: JSON.stringify({ watch: true, modeFile, ...config }) } });
  return { p, modeFile };
}

const portOf = (p: Running): number => (p.events('listening')[0] as { listeners: Array<{ port: number }> }).listeners[0].port;
const readyOf = (p: Running, generation: number): Ev[] =>
  (p.events('ev') as Ev[]).filter((e) => e.channel === 'ready' && e.generation === generation);
const reloadSteps = (p: Running): Ev[] => (p.events('ev') as Ev[]).filter((e) => e.channel === 'reload');

test.each([
  ['rolling', 'kernel'],
  ['all-at-once', 'kernel'],
  ['rolling', 'round-robin'],
  ['all-at-once', 'round-robin'],
] as const)('a %s HUP with code that throws before serve() (balance %s): rolled back, 0 failed requests; the fixed deploy serves', async (form, balance) => {
  const HUP = form === 'rolling' ? ['TERM', 100] : 'TERM';
  const { p, modeFile } = pool(`throw-${form}-${balance}`, {
    options: { maxWorkers: 2, balance, readyTimeout: READY_TIMEOUT, reloadAttempts: ATTEMPTS, trapSignals: { TERM: 'TERM', HUP } },
  });
  await p.waitFor(() => readyOf(p, 1).length === 2, 30_000, 'generation 1 ready');
  const port = portOf(p);
  const oldPids = new Set(readyOf(p, 1).map((e) => e.pid));

  const requestErrors: string[] = [];
  let instance: LoadInstance | undefined;
  const load = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon({ url: `http://127.0.0.1:${port}/`, connections: 10, duration: 100, timeout: 10 }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('reqError', (error) => requestErrors.push((error as Error & { code?: string }).code ?? error.message));
  });

  // The bad deploy.
  writeFileSync(modeFile, 'throw');
  const hupAt = Date.now();
  p.child.kill('SIGHUP');
  await p.waitForEvents('reload-failed', 1, 60_000);
  const [failed] = p.events('reload-failed') as Array<{ attempts: number; reason: string; error: string | null; message: string; generation: number }>;
  expect(failed).toMatchObject({ attempts: ATTEMPTS, reason: 'crashed', generation: 2 });
  expect(failed.error).toMatch(/^bad deploy: DATABASE_URL is not set \(generation 2\)$/);
  expect(reloadSteps(p).map((e) => e.step)).toEqual(['begin', 'failed']);
  // Still the old generation, after readyTimeout × reloadAttempts (time passing is the point here, not an event).
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, hupAt + READY_TIMEOUT * ATTEMPTS - Date.now())));
  for (let i = 0; i < 6; i++) {
    const [, pid, generation] = (await getBody(port)).trim().split(' ');
    expect(oldPids.has(Number(pid))).toBe(true);
    expect(generation).toBe('1');
  }
  expect(readyOf(p, 2)).toEqual([]);

  // The fixed deploy, and another HUP: generation 3 serves.
  writeFileSync(modeFile, 'ok');
  p.child.kill('SIGHUP');
  await p.waitFor(() => reloadSteps(p).some((e) => e.step === 'done'), 60_000, 'the second reload done');
  expect(readyOf(p, 3)).toHaveLength(2);
  expect((await getBody(port)).trim()).toMatch(/^ok \d+ 3$/);
  instance!.stop();
  const result = await load;
  p.child.kill('SIGTERM');
  const end = await p.done;
  console.log(`${form}, ${balance}: ${result.requests.total} requests through a bad deploy and a good one; errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}, resets ${result.resets}`);
  expectNoFailedRequests(result, requestErrors);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});

test("a new child that hangs before it is ready: rolled back after readyTimeout, reaped as 'not-ready'", async () => {
  const { p, modeFile } = pool('hang', {
    options: { maxWorkers: 1, readyTimeout: 700, reloadAttempts: 2, gracePeriod: 2000, trapSignals: { TERM: 'TERM', HUP: ['TERM', 100] } },
  });
  await p.waitFor(() => readyOf(p, 1).length === 1, 30_000, 'generation 1 ready');
  const [old] = readyOf(p, 1);
  writeFileSync(modeFile, 'hang');
  p.child.kill('SIGHUP');
  await p.waitForEvents('reload-failed', 1, 60_000);
  expect(p.events('reload-failed')[0]).toMatchObject({ reason: 'not-ready', attempts: 2, error: null });
  // The two new children (a loaded machine may also have timed out a first generation-1 child before `old`).
  const fresh = (): Set<number | undefined> => new Set((p.events('ev') as Ev[]).filter((e) => e.channel === 'spawn' && e.generation === 2).map((e) => e.pid));
  const freshReaps = (): Array<{ pid: number; reason: string }> =>
    (p.events('reap') as Array<{ pid: number; reason: string }>).filter((r) => fresh().has(r.pid));
  await p.waitFor(() => freshReaps().length === 2, 30_000, 'both new children reaped');
  expect(fresh().size).toBe(2);
  expect(freshReaps().map((r) => r.reason)).toEqual(['not-ready', 'not-ready']);
  expect((p.events('reap') as Array<{ pid: number }>).some((r) => r.pid === old.pid)).toBe(false);
  expect((await getBody(portOf(p))).trim()).toBe(`ok ${old.pid} 1`);
  p.child.kill('SIGTERM');
  const end = await p.done;
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});
