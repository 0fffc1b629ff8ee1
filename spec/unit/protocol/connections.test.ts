import { listenerOf } from '../../../lib/protocol/connections';

test('a round-robin message gives its listener index; anything else gives undefined', () => {
  expect(listenerOf({ ppiConnection: 0 }, 'ppiConnection')).toBe(0);
  expect(listenerOf({ ppiServing: 2 }, 'ppiServing')).toBe(2);
  expect(listenerOf({ ppiServing: 2 }, 'ppiStopping')).toBeUndefined();
  // A user's own messages on the same channel are not ours.
  for (const message of ['ppiConnection', 3, null, undefined, { type: 'hello' }, { ppiConnection: -1 }, { ppiConnection: 1.5 }, { ppiConnection: '0' }]) {
    expect(listenerOf(message, 'ppiConnection')).toBeUndefined();
  }
});
