/** Why a child ended, errors that keep their shape, accessors in a child, option names (issue 10). */
import { PreforkIPC } from '../lib';
import { run } from './support/run';

interface Payload {
  early: number;
  now: number;
}
type Reap = {
  pid: number;
  status: number;
  payload: Payload;
  info: { reason: string; lifetime: number; exitCode: number | null; error: { name: string; message: string; stack: string } };
};
const lifetimes = (name: string, env: Record<string, string> = {}) => run(['lifetimes.js'], { env: { ...process.env, CASE: name, ...env } });
const reaps = (events: Array<Record<string, unknown>>): Reap[] => events.filter((e) => e.event === 'reap') as unknown as Reap[];

test("info.error carries an uncaught exception's and an unhandled rejection's name, message, stack and properties", async () => {
  const end = await lifetimes('crash');
  expect(end.code).toBe(0);
  const [fine, thrown, rejected] = reaps(end.events);
  expect(fine.info.reason).toBe('finished');
  expect(thrown).toMatchObject({ status: 1, info: { reason: 'crashed', exitCode: 1, lifetime: 2 } });
  expect(thrown.info.error).toMatchObject({ name: 'RangeError', message: 'boom in a timer', code: 'E_BOOM', detail: { shard: 3 } });
  expect(thrown.info.error.stack).toMatch(/^RangeError: boom in a timer\n\s+at /);
  expect(rejected).toMatchObject({ status: 1, info: { reason: 'crashed', lifetime: 1, error: { name: 'TypeError', message: 'nobody caught me' } } });
  expect(rejected.pid).not.toBe(thrown.pid);
  // Node's own report of the error is unchanged.
  expect(end.stderr).toMatch(/RangeError: boom in a timer/);
});

test("a child that sends a line over maxMessageBytes is killed; its lifetime's reason is 'overflow'", async () => {
  const end = await lifetimes('overflow');
  expect(end.code).toBe(0);
  const [fine, overflowed] = reaps(end.events);
  expect(fine.info).toMatchObject({ reason: 'finished', lifetime: 1 });
  expect(overflowed).toMatchObject({ pid: fine.pid, status: 137, info: { reason: 'overflow', signal: 'SIGKILL', lifetime: 2 } });
});

test("a handler's error reaches the child as its CallbackError's cause: an Error with name, message, stack, code and own properties", async () => {
  const end = await lifetimes('cause');
  expect(reaps(end.events)[0].payload).toEqual({
    isCallbackError: true,
    code: 'HANDLER_ERROR',
    causeIsError: true,
    name: 'DbError',
    message: 'no such table: users',
    causeCode: 'SQLITE_ERROR',
    table: 'users',
    hasRetry: false,
    stackNamesHandler: true,
  });
});

test('ppi.maxWorkers in a child is the configured number, before and after start(), as Perl reads it', async () => {
  const end = await lifetimes('max-workers');
  const payloads = reaps(end.events).map((r) => r.payload);
  expect(payloads).toHaveLength(3);
  for (const payload of payloads) expect(payload.early).toBe(3);
  // The manager's value when it spawned the child: the last one was spawned after beforeFork set 0.
  expect(payloads.map((p) => p.now).sort()).toEqual([0, 3, 3]);
});

test.each([
  ['a process per lifetime', '0'],
  ['reused children', '1'],
])('children that keep ending without finish() right after they start get one clear warning (%s)', async (_, reuse) => {
  const end = await lifetimes('early-exit', { REUSE: reuse });
  expect(end.code).toBe(0);
  expect(reaps(end.events).slice(0, 6).map((r) => [r.status, r.info.reason])).toEqual(Array(6).fill([0, 'exited']));
  const warnings = end.stderr.match(/children keep ending without calling finish\(\) right after they start/g);
  expect(warnings).toHaveLength(1);
  if (reuse === '1') expect(end.stderr).toMatch(/go round the loop to start\(\) again/);
});

describe('option names and the new options are checked', () => {
  test.each([
    [{ lifetimePerChild: 5 }, /PreforkIPC has no option 'lifetimePerChild': did you mean 'lifetimesPerChild'\?/],
    [{ maxworkers: 2 }, /no option 'maxworkers': did you mean 'maxWorkers'\?/],
    [{ gracePeriods: 1 }, /did you mean 'gracePeriod'\?/],
    [{ frobnicate: true }, /PreforkIPC has no option 'frobnicate' \(options: maxWorkers, /],
    [{ lifetimesPerChild: 0 }, /option 'lifetimesPerChild' must be a whole number ≥ 1, or Infinity, got 0/],
    [{ lifetimesJitter: -1 }, /option 'lifetimesJitter' must be a whole number ≥ 0/],
    [{ maxChildMemory: 0 }, /option 'maxChildMemory' must be a whole number ≥ 1/],
    [{ lifetimeTimeout: -5 }, /option 'lifetimeTimeout' must be a number of milliseconds ≥ 0/],
  ])('%j', (options, message) => {
    expect(() => new PreforkIPC(options as never)).toThrow(TypeError);
    expect(() => new PreforkIPC(options as never)).toThrow(message);
  });

  test('the new members in the manager: lifetime 0, a never-aborting abortSignal, on() accepted, send()/cancel() of no child false', () => {
    const ppi = new PreforkIPC({ trapSignals: {}, lifetimesPerChild: Infinity, lifetimesJitter: 2, maxChildMemory: 1e9, lifetimeTimeout: 1000 });
    expect(ppi.lifetime).toBe(0);
    expect(ppi.abortSignal.aborted).toBe(false);
    expect(ppi.on('message', () => {})).toBe(ppi);
    expect(ppi.send(1, 'x')).toBe(false);
    expect(ppi.cancel(1)).toBe(false);
    expect(() => ppi.on('exit' as never, () => {})).toThrow(/the only event is 'message'/);
  });
});
