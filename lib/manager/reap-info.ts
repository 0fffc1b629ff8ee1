import type { ReapInfo, ReapReason } from '../view';
import type { Lifetime } from './lifetime';

/** How the process ended, when it did; undefined for a reused child's lifetime that ended with finish(). */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It sent a line over maxMessageBytes and was killed for it. */
  overflowed: boolean;
}

/** onChildReap's `info` for a lifetime; `notReady`: the child missed readyTimeout and was told to stop. */
export function reapInfo(lifetime: Lifetime, end: ProcessEnd | undefined, notReady = false): ReapInfo {
  if (!end) return withServed({ reason: 'finished', exitCode: lifetime.code, signal: null, lifetime: lifetime.number }, lifetime);
  const reason = reasonOf(lifetime, end, notReady);
  const info: ReapInfo = { reason, exitCode: end.code, signal: end.signal, lifetime: lifetime.number };
  if (reason === 'crashed') info.error = lifetime.error;
  if (reason === 'hung') info.stack = lifetime.hung;
  return withServed(info, lifetime);
}

/** `served` when serve() finished the lifetime: the reason a server child ended, for whoever recycles it. */
function withServed(info: ReapInfo, lifetime: Lifetime): ReapInfo {
  if (lifetime.finished && lifetime.served) info.served = lifetime.served;
  return info;
}

function reasonOf(lifetime: Lifetime, end: ProcessEnd, notReady: boolean): ReapReason {
  if (end.overflowed) return 'overflow';
  if (!lifetime.finished) {
    if (notReady) return 'not-ready';
    if (lifetime.hung) return 'hung';
    if (lifetime.timedOut) return 'timeout';
    if (lifetime.error) return 'crashed';
  }
  if (end.signal !== null) return 'killed';
  return lifetime.finished ? 'finished' : 'exited';
}
