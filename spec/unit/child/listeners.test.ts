import { childListeners } from '../../../lib/child/listeners';
import { FIRST_LISTENER_FD, type ListenerAddress } from '../../../lib/protocol/messages';

const tcp: ListenerAddress = { address: '127.0.0.1:8080', host: '127.0.0.1', port: 8080 };
const unix: ListenerAddress = { address: '/run/app.sock', path: '/run/app.sock' };

test('each address from the hello gets the descriptor its socket arrived on: fd 5, 6, … in order', () => {
  const listeners = childListeners([tcp, unix]);
  expect(listeners).toEqual([
    { ...tcp, fd: FIRST_LISTENER_FD },
    { ...unix, fd: FIRST_LISTENER_FD + 1 },
  ]);
  expect(FIRST_LISTENER_FD).toBe(5); // after stdin, stdout, stderr and the two pipes (fd 3, 4)
});

test('round-robin: the child holds no socket, so no fd (listen() on it would fail, as it should)', () => {
  const listeners = childListeners([tcp], false);
  expect(listeners).toEqual([tcp]);
  expect('fd' in listeners[0]).toBe(false);
});

test('no listen option: an empty list; the list and its entries are frozen', () => {
  expect(childListeners(undefined)).toEqual([]);
  const listeners = childListeners([tcp]);
  expect(Object.isFrozen(listeners)).toBe(true);
  expect(Object.isFrozen(listeners[0])).toBe(true);
});
