import { expect } from '@jest/globals'; // its matchers are typed: the global expect's stringMatching() returns any
import { run } from './support/run';

const scenario = (names: string) => run(['callbacks.js'], { env: { ...process.env, SCENARIOS: names } });

test('every payload shape round-trips unchanged in both directions, including none and null', async () => {
  const end = await scenario('shapes');
  expect(end.code).toBe(0);
  const shapes = end.events.filter((e) => e.event === 'shape');
  expect(shapes).toHaveLength(13);
  expect(shapes.filter((e) => e.same !== true)).toEqual([]);
  const got = end.events.filter((e) => e.event === 'manager-got').map((e) => e.payload);
  expect(got.slice(0, 4)).toEqual(['<undefined>', null, 0, 1.5]);
  expect(got[11]).toEqual({ a: null, b: [1, null, { c: 'd' }], e: { f: { g: [] } } });
});

test('handler errors, unknown names, timeouts and unsendable values reject in the child with a clear error; the manager keeps serving', async () => {
  const end = await scenario('errors,concurrent');
  expect(end.code).toBe(0);
  const results = Object.fromEntries(end.events.filter((e) => e.event === 'result').map((e) => [e.name as string, e] as const));
  expect(results['throws']).toMatchObject({
    code: 'HANDLER_ERROR',
    callbackName: 'fail',
    isError: true,
    error: "callback 'fail' failed in the manager: no such user",
  });
  expect(results['unknown']).toMatchObject({ code: 'UNKNOWN_CALLBACK', error: expect.stringMatching(/no callback named 'nope'.*'echo'/) });
  expect(results['timeout']).toMatchObject({ code: 'TIMEOUT', error: "callback 'slow' timed out after 300 ms" });
  expect(results['bigint payload']).toMatchObject({ code: 'BAD_PAYLOAD', error: expect.stringMatching(/not sent: .*not JSON-serialisable.*BigInt/) });
  expect(results['cyclic payload']).toMatchObject({ code: 'BAD_PAYLOAD', error: expect.stringMatching(/circular/i) });
  expect(results['function payload']).toMatchObject({ code: 'BAD_PAYLOAD', error: expect.stringMatching(/is a function/) });
  expect(results['bigint result']).toMatchObject({ code: 'BAD_RESULT', error: expect.stringMatching(/result of callback 'bigint' is a bigint/) });
  expect(results['cyclic result']).toMatchObject({ code: 'BAD_RESULT', error: expect.stringMatching(/circular/i) });
  expect(results['still fine']).toMatchObject({ value: 'still fine' });
  // The manager warned about the results it could not send, naming the child.
  const errorsChild = end.events.find((e) => e.event === 'reap')!;
  expect(end.stderr).toMatch(/child \d+: the result of callback 'bigint' is a bigint/);
  expect(errorsChild.status).toBe(0);
  // A second child, calling at the same time, got all its answers.
  expect(end.events.find((e) => e.event === 'concurrent')).toEqual({ event: 'concurrent', inOrder: true, count: 50 });
});

test('CRLF on fd 4: a line that is only "\\r" is skipped without a warning; a message ended by "\\r\\n" is read', async () => {
  const end = await scenario('crlf');
  expect(end.code).toBe(0);
  expect(end.events.find((e) => e.event === 'reap')).toMatchObject({ status: 0 });
  expect(end.stderr).not.toMatch(/malformed/);
  const got = end.events.filter((e) => e.event === 'manager-got').map((e) => e.payload);
  expect(got).toEqual(['sent with CRLF', 'after crlf']);
  expect(end.events.find((e) => e.event === 'result')).toMatchObject({ name: 'after crlf', value: 'after crlf' });
});

test('calls made in the same tick as process.exit() still reach the manager', async () => {
  const end = await scenario('exit');
  expect(end.code).toBe(0);
  expect(end.events.find((e) => e.event === 'reap')).toMatchObject({ status: 0 });
  expect(end.events.filter((e) => e.event === 'note').map((e) => e.payload)).toEqual(['first', 'second', 'third']);
});

test('lines arrive in the order they were written, a large one included', async () => {
  const end = await scenario('order');
  expect(end.code).toBe(0);
  expect(end.events.filter((e) => e.event === 'note').map((e) => e.payload)).toEqual([1, 2, `<${1 << 20} chars>`, 3]);
});

test('a malformed line on fd 4 is warned about with the pid and dropped; the child goes on', async () => {
  const end = await scenario('malformed');
  expect(end.code).toBe(0);
  const pid = end.events.find((e) => e.event === 'reap')!.pid as number;
  expect(end.stderr).toContain(`child ${pid} sent a malformed message, dropped: not JSON`);
  expect(end.stderr).toContain(`child ${pid} sent a malformed message, dropped: not a JSON object: "[1,2,3]"`);
  expect(end.stderr).toContain(`child ${pid} sent a malformed message, dropped: not a call or finish message`);
  expect(end.events.find((e) => e.event === 'result')).toMatchObject({ name: 'after garbage', value: 'after garbage' });
  // The malformed call with an id got an error reply nobody was waiting for; the child says so.
  expect(end.stderr).toMatch(/reply from the manager for call id 77, which nothing is waiting for/);
});
