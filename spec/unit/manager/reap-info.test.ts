import { Lifetime } from '../../../lib/manager/lifetime';
import { reapInfo } from '../../../lib/manager/reap-info';

const lifetime = (set: Partial<Lifetime> = {}): Lifetime => Object.assign(new Lifetime(2), set);
const exited = (code: number | null, signal: NodeJS.Signals | null = null, overflowed = false) => ({ code, signal, overflowed });

test("a reused child's finish(): finished, with the finish() code", () => {
  expect(reapInfo(lifetime({ finished: true, code: 4 }), undefined)).toEqual({ reason: 'finished', exitCode: 4, signal: null, lifetime: 2 });
});

test.each([
  ['finished, then exited', { finished: true }, exited(0), 'finished'],
  ['exited without finish()', {}, exited(0), 'exited'],
  ['exited non-zero without finish() or a crash report', {}, exited(3), 'exited'],
  ['a signal', {}, exited(null, 'SIGTERM'), 'killed'],
  ['a signal after finish()', { finished: true }, exited(null, 'SIGTERM'), 'killed'],
  ['a crash report, then exit 1', { error: { name: 'Error', message: 'x' } }, exited(1), 'crashed'],
  ['a crash report the child survived, then finish()', { error: { name: 'Error', message: 'x' }, finished: true }, exited(0), 'finished'],
  ['past lifetimeTimeout, SIGKILLed', { timedOut: true }, exited(null, 'SIGKILL'), 'timeout'],
  ['past lifetimeTimeout, but finished', { timedOut: true, finished: true }, exited(0), 'finished'],
  ['a line over maxMessageBytes', { timedOut: true }, exited(null, 'SIGKILL', true), 'overflow'],
] as const)('%s', (_, set, end, reason) => {
  const info = reapInfo(lifetime(set), end);
  expect(info.reason).toBe(reason);
  expect(info.exitCode).toBe(end.code);
  expect(info.signal).toBe(end.signal);
  expect('error' in info).toBe(reason === 'crashed');
});

test("served: how serve() ended the lifetime reaches onChildReap, exited or reused, and only with finish()", () => {
  const served = { stop: 'maxRequests', requests: 50 } as const;
  expect(reapInfo(lifetime({ finished: true, served }), exited(0))).toEqual({ reason: 'finished', exitCode: 0, signal: null, lifetime: 2, served });
  expect(reapInfo(lifetime({ finished: true, served }), undefined).served).toEqual(served);
  expect('served' in reapInfo(lifetime({ finished: true }), exited(0))).toBe(false);
  expect('served' in reapInfo(lifetime({ served }), exited(null, 'SIGKILL'))).toBe(false);
});
