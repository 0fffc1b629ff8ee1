import { ChildLifetime, NEVER_ABORTED } from '../../../lib/child/lifetime';

test('a lifetime carries its number, workerData and maxWorkers, and a signal not yet aborted', () => {
  const lifetime = new ChildLifetime(4, { shard: 2 }, 8);
  expect(lifetime).toMatchObject({ number: 4, workerData: { shard: 2 }, maxWorkers: 8 });
  expect(lifetime.signal.aborted).toBe(false);
});

test("lifetimeTimeout aborts with a TimeoutError naming the lifetime, as AbortSignal.timeout() would", () => {
  const lifetime = new ChildLifetime(3, undefined, 1);
  lifetime.abort('ignored for a timeout', true);
  expect(lifetime.signal.aborted).toBe(true);
  const reason = lifetime.signal.reason as Error;
  expect(reason).toBeInstanceOf(Error);
  expect(reason.name).toBe('TimeoutError');
  expect(reason.message).toBe('this lifetime ran past lifetimeTimeout (lifetime 3)');
});

test("cancel() aborts with an AbortError carrying the manager's reason", () => {
  const lifetime = new ChildLifetime(1, undefined, 1);
  const seen = jest.fn();
  lifetime.signal.addEventListener('abort', seen);
  lifetime.abort('shutting down shard 2', false);
  const reason = lifetime.signal.reason as Error;
  expect(reason.name).toBe('AbortError');
  expect(reason.message).toBe('the manager cancelled this lifetime: shutting down shard 2');
  expect(seen).toHaveBeenCalledTimes(1);
});

test('the first abort wins: a later one changes neither the reason nor fires the listeners again', () => {
  const lifetime = new ChildLifetime(1, undefined, 1);
  const seen = jest.fn();
  lifetime.signal.addEventListener('abort', seen);
  lifetime.abort('first', false);
  const first = lifetime.signal.reason as Error;
  lifetime.abort('second', true);
  expect(lifetime.signal.reason).toBe(first);
  expect(seen).toHaveBeenCalledTimes(1);
});

test("each lifetime has its own signal: aborting one never reaches the next", () => {
  const one = new ChildLifetime(1, undefined, 1);
  const two = new ChildLifetime(2, undefined, 1);
  one.abort('done with it', false);
  expect(two.signal.aborted).toBe(false);
  expect(two.signal).not.toBe(one.signal);
});

test('NEVER_ABORTED (before the first lifetime, and in the manager) is a signal that is not aborted', () => {
  expect(NEVER_ABORTED).toBeInstanceOf(AbortSignal);
  expect(NEVER_ABORTED.aborted).toBe(false);
});
