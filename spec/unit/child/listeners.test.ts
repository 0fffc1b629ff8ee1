import { inspect } from 'node:util';
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

test("readyOnListen: a server.listen() taking the object calls onListen; JSON, a spread and inspect do not", () => {
  let calls = 0;
  const [listener] = childListeners([tcp], true, () => calls++);
  expect(JSON.parse(JSON.stringify(listener))).toEqual({ ...tcp, fd: FIRST_LISTENER_FD });
  expect({ ...listener }).toEqual({ ...tcp, fd: FIRST_LISTENER_FD });
  expect(inspect(listener)).not.toMatch(/handle/);
  expect(calls).toBe(0);
  // What net.Server.listen(handle) reads first (Node 20/22: _handle; 24: handle): undefined, as before.
  expect((listener as unknown as { _handle: unknown })._handle).toBeUndefined();
  expect((listener as unknown as { handle: unknown }).handle).toBeUndefined();
  expect(calls).toBe(2);
  expect(Object.isFrozen(listener)).toBe(true);
});

test('without onListen (readiness explicit, round-robin, no listen) the objects are plain', () => {
  const [held] = childListeners([tcp], true);
  expect(Object.getOwnPropertyNames(held).sort()).toEqual(['address', 'fd', 'host', 'port']);
});
