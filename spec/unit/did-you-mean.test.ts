import { closestName } from '../../lib/did-you-mean';

const known = ['maxWorkers', 'lifetimesPerChild', 'lifetimesJitter', 'gracePeriod', 'exec', 'onChildReap'];

test.each([
  ['lifetimePerChild', 'lifetimesPerChild'],
  ['maxworkers', 'maxWorkers'],
  ['max_workers', 'maxWorkers'],
  ['graceperiod', 'gracePeriod'],
  ['onChildRaep', 'onChildReap'],
  ['exce', 'exec'],
])('%s → %s', (typo, meant) => {
  expect(closestName(typo, known)).toBe(meant);
});

test('an unrelated name suggests nothing', () => {
  expect(closestName('frobnicate', known)).toBeUndefined();
  expect(closestName('x', known)).toBeUndefined();
});
