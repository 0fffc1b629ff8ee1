import { run } from './support/run';

const finishing = (kinds: string) => run(['finish.js'], { env: { ...process.env, PAYLOADS: kinds } });

test('falsy final payloads arrive as themselves, and no payload arrives as undefined', async () => {
  const end = await finishing('zero,empty,false,null,stringZero,object,none,return');
  expect(end.code).toBe(0);
  // Replacement children spawned after the last real one wait and are ended by stop()'s TERM.
  const reaps = end.events.filter((e) => e.event === 'reap' && e.status !== 143).map(({ status, type, payload }) => ({ status, type, payload }));
  expect(reaps).toEqual(
    expect.arrayContaining([
      { status: 0, type: 'number', payload: 0 },
      { status: 7, type: 'string', payload: '' },
      { status: 7, type: 'boolean', payload: false },
      { status: 7, type: 'object', payload: null },
      { status: 7, type: 'string', payload: '0' },
      { status: 7, type: 'object', payload: { username: 'alice', data: [1, 2, 3] } },
      { status: 3, type: 'undefined', payload: '<undefined>' },
      // A child that simply returns, without finish(), exits by itself: the channel holds nothing open.
      { status: 0, type: 'undefined', payload: '<undefined>' },
    ]),
  );
  expect(reaps).toHaveLength(8);
});

test('a 50 MB final payload arrives whole', async () => {
  const end = await finishing('big');
  expect(end.code).toBe(0);
  const sent = end.events.find((e) => e.event === 'sent')!;
  const reap = end.events.find((e) => e.event === 'reap')!;
  expect(sent.bytes).toBeGreaterThan(50 * 1024 * 1024);
  expect(reap).toMatchObject({ status: 7, payload: { bytes: sent.bytes, sha256: sent.sha256, tail: 'end' } });
});

test('a child that falls through its work back into start() gets a clear error, not a second manager', async () => {
  const end = await finishing('fallthrough');
  expect(end.code).toBe(0);
  expect(end.stderr).toContain('PreforkIPC.start() was called again inside a child process');
  const reaps = end.events.filter((e) => e.event === 'reap' && e.status !== 143);
  expect(reaps).toEqual([expect.objectContaining({ status: 1, payload: '<undefined>' })]);
});
