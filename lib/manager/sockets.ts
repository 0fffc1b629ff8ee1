import type { ResolvedOptions } from '../options';
import { openListeners, type OpenListener } from './listeners';
import type { RoundRobin } from './round-robin';

/** The `listen` option's sockets, and with `balance: 'round-robin'` the dealer that accepts on them. */
export interface ManagerSockets {
  listeners: OpenListener[];
  dealer: RoundRobin | undefined;
}

/**
 * Opened once, by the first start() and before its first spawn, so that a port
 * in use fails start() before any child exists; held until the manager exits.
 * In round-robin mode the manager accepts, so the sockets are not shared for
 * the children's accept() (listeners.ts).
 */
export async function openSockets(options: Pick<ResolvedOptions, 'listen' | 'balance'>, manager: number): Promise<ManagerSockets> {
  const roundRobin = options.balance === 'round-robin';
  const listeners = await openListeners(options.listen, !roundRobin);
  if (!roundRobin) return { listeners, dealer: undefined };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: only a round-robin manager needs it
  const { RoundRobin } = require('./round-robin') as typeof import('./round-robin');
  return { listeners, dealer: await RoundRobin.open(listeners, manager) };
}
