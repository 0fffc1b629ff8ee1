/**
 * A child's view of the manager's listening sockets: the addresses the hello
 * names, each with the descriptor the socket arrived on (fd 5, 6, …, see
 * launch/stdio.ts). An object with a numeric `fd` is what
 * `server.listen(handle)` accepts, so `server.listen(ppi.listeners[0])`
 * listens on the shared socket; Node checks `fd` before `port` and `path`,
 * so the address fields beside it are only information.
 */
import { FIRST_LISTENER_FD, type ListenerAddress } from '../protocol/messages';
import type { Listener } from '../view';

/**
 * `held` false (balance: 'round-robin'): the manager accepts on the sockets
 * and passes none to the child, so there is no `fd`, as in the manager:
 * `server.listen(ppi.listeners[0])` then binds the address itself and fails
 * with EADDRINUSE, and addr-in-use.ts says to serve with ppi.serve().
 */
export function childListeners(addresses: ListenerAddress[] | undefined, held = true, onListen?: () => void): readonly Listener[] {
  return Object.freeze(
    (addresses ?? []).map((address, i) => {
      if (!held) return Object.freeze({ ...address });
      const listener = { ...address, fd: FIRST_LISTENER_FD + i };
      if (onListen) noteListen(listener, onListen);
      return Object.freeze(listener);
    }),
  );
}

/**
 * `server.listen(handle)` looks for `handle.handle` and `handle._handle` before it uses `fd`
 * (Node 20, 22 and 24 all do: checked with a Proxy). Hidden getters for those two names (not
 * enumerable: JSON.stringify, a spread and util.inspect never call them; they return undefined,
 * as the plain object's missing properties did) tell the child runtime that an application's own
 * listen() is taking the socket: it is ready then (docs/servers.md, "Readiness").
 */
function noteListen(listener: object, onListen: () => void): void {
  const get = (): undefined => {
    onListen();
    return undefined;
  };
  Object.defineProperty(listener, 'handle', { get, enumerable: false });
  Object.defineProperty(listener, '_handle', { get, enumerable: false });
}
