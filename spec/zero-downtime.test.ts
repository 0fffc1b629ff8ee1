/**
 * Reloads under sustained load drop nothing: autocannon (a real HTTP load
 * generator) against a 2-child pool on the manager's socket, a HUP and then a
 * loop of 5 HUPs, for both forms of the reload, with and without keep-alive.
 * Each run prints its counts and the latency percentiles of the reload window.
 * Each form runs with the kernel's balancing (the default) and with
 * `balance: 'round-robin'` (the manager deals the connections out).
 *
 * LOAD_SECONDS (default 4) sets each run's length; the full check is
 * LOAD_SECONDS=10 LOAD_CONNECTIONS=50. Only failures are asserted, never speed:
 * the machine is shared.
 */
import { autocannon, expectNoFailedRequests, type LoadResult } from './support/http';
import { start, type Running } from './support/run';


const SECONDS = Number(process.env.LOAD_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 50);
jest.setTimeout((SECONDS + 30) * 1000);

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
}

async function reloadUnderLoad(form: 'rolling' | 'all-at-once', keepAlive: boolean, balance: 'kernel' | 'round-robin'): Promise<void> {
  const HUP = form === 'rolling' ? ['TERM', 200] : 'TERM';
  const p: Running = start(['http-pool.js'], {
    env: { ...process.env, CONFIG: JSON.stringify({ options: { maxWorkers: 2, balance, trapSignals: { TERM: 'TERM', HUP } } }) },
  });
  await p.waitForEvents('ready', 2);
  const port = (p.events('listening')[0] as { listeners: Array<{ port: number }> }).listeners[0].port;

  const samples: Array<{ at: number; ms: number }> = [];
  const requestErrors: string[] = [];
  const hups: number[] = [];
  const durationMs = SECONDS * 1000;
  const result = await new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, duration: SECONDS, timeout: 10, headers: keepAlive ? {} : { connection: 'close' } },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => samples.push({ at: Date.now(), ms }));
    instance.on('reqError', (error) => requestErrors.push((error as Error & { code?: string }).code ?? error.message));
    const hup = (): void => {
      hups.push(Date.now());
      p.child.kill('SIGHUP');
    };
    // One HUP at a fifth of the run, then a loop of five, as a deploy script would send them.
    setTimeout(hup, durationMs * 0.2);
    for (let i = 0; i < 5; i++) setTimeout(hup, durationMs * (0.4 + i * 0.09));
  });
  // A gated reload (the default with listen) replaces the old children only as the new ones are ready:
  // on a loaded machine the last generation may still be starting when the load ends.
  await p.waitFor(() => p.events('ready').some((e) => e.generation === 7), 60_000, 'generation 7 serving');
  p.child.kill('SIGTERM');
  const end = await p.done;

  const windowStart = hups[0];
  const windowEnd = hups.at(-1)! + 1000;
  const inWindow = samples.filter((s) => s.at >= windowStart && s.at <= windowEnd).map((s) => s.ms).sort((a, b) => a - b);
  const generations = Math.max(...end.events.filter((e) => e.event === 'ready').map((e) => e.generation as number));
  console.log(
    `${form}, ${balance}, keep-alive ${keepAlive ? 'on' : 'off'}, ${CONNECTIONS} connections, ${SECONDS} s, ${hups.length} HUPs: ` +
      `${result.requests.total} requests, errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}, ` +
      `resets ${result.resets}, request errors ${requestErrors.length}; reload window (${inWindow.length} responses): ` +
      `p50 ${percentile(inWindow, 50)} ms, p90 ${percentile(inWindow, 90)} ms, p99 ${percentile(inWindow, 99)} ms, max ${Math.round(inWindow.at(-1) ?? 0)} ms; ` +
      `whole run p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; generations ${generations}`,
  );
  expectNoFailedRequests(result, requestErrors);
  expect(inWindow.length).toBeGreaterThan(0);
  expect(generations).toBe(7); // every HUP made a generation that served
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
}

test.each([
  ['rolling', 'on', 'kernel'],
  ['rolling', 'off', 'kernel'],
  ['all-at-once', 'on', 'kernel'],
  ['all-at-once', 'off', 'kernel'],
  ['rolling', 'on', 'round-robin'],
  ['rolling', 'off', 'round-robin'],
  ['all-at-once', 'on', 'round-robin'],
  ['all-at-once', 'off', 'round-robin'],
] as const)('a %s HUP, then 5 more, under load (keep-alive %s, balance %s): no failed request', async (form, keepAlive, balance) => {
  await reloadUnderLoad(form, keepAlive === 'on', balance);
});
