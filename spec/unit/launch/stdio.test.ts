import { childStdio } from '../../../lib/launch/stdio';
import { FIRST_LISTENER_FD } from '../../../lib/protocol/messages';

test('without sockets: stdin, stdout, stderr inherited; fd 3 and fd 4 the two pipes of the channel', () => {
  expect(childStdio([])).toEqual(['inherit', 'inherit', 'inherit', 'pipe', 'pipe']);
});

test("the listening sockets follow in the order of the listen option, the first at FIRST_LISTENER_FD (where the child looks)", () => {
  const first = { handle: 'tcp 8080' };
  const second = { handle: 'unix /run/app.sock' };
  const stdio = childStdio([{ stdio: first }, { stdio: second }]) as unknown[];
  expect(stdio).toHaveLength(7);
  expect(stdio[FIRST_LISTENER_FD]).toBe(first);
  expect(stdio[FIRST_LISTENER_FD + 1]).toBe(second);
});

test("round-robin: no socket, and Node's IPC channel right after the pipes", () => {
  expect(childStdio([], true)).toEqual(['inherit', 'inherit', 'inherit', 'pipe', 'pipe', 'ipc']);
});

test("childStdout 'stderr': the child's fd 1 is a copy of the manager's fd 2 (even write(1) lands there)", () => {
  expect(childStdio([], false, 'stderr')).toEqual(['inherit', 2, 'inherit', 'pipe', 'pipe']);
  expect(childStdio([], true, 'inherit')).toEqual(['inherit', 'inherit', 'inherit', 'pipe', 'pipe', 'ipc']);
});
