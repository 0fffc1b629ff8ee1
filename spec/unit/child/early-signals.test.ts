import { takeEarlySignal, watchEarlySignals } from '../../../lib/child/early-signals';

test("a signal the application listens for is noted for serve(); the companion listener leaves with the application's, giving Node's default action back", () => {
  watchEarlySignals();
  const before = process.listenerCount('SIGUSR2');
  expect(before).toBe(0);
  const mine = (): void => {};
  process.on('SIGUSR2', mine);
  expect(process.listenerCount('SIGUSR2')).toBe(2); // the application's and the companion
  expect(takeEarlySignal('SIGUSR2')).toBe(false);
  process.emit('SIGUSR2', 'SIGUSR2');
  expect(takeEarlySignal('SIGUSR2')).toBe(true);
  expect(takeEarlySignal('SIGUSR2')).toBe(false); // taken once
  process.removeListener('SIGUSR2', mine);
  expect(process.listenerCount('SIGUSR2')).toBe(0);
});

test('no listener of the application: nothing is added, so the signal keeps its default action', () => {
  watchEarlySignals();
  expect(process.listenerCount('SIGWINCH')).toBe(0);
  process.on('exit', () => {}); // not a signal
  expect(process.listenerCount('SIGWINCH')).toBe(0);
});
