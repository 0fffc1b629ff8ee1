import type { ReapInfo, ReapReason } from '../view';
import type { Lifetime } from './lifetime';

/** How the process ended, when it did; undefined for a reused child's lifetime that ended with finish(). */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It sent a line over maxMessageBytes and was killed for it. */
  overflowed: boolean;
}

/** onChildReap's `info` for a lifetime. */
export function reapInfo(lifetime: Lifetime, end: ProcessEnd | undefined): ReapInfo {
  if (!end) return withServed({ reason: 'finished', exitCode: lifetime.code, signal: null, lifetime: lifetime.number }, lifetime);
  const reason: ReapReason = end.overflowed
    ? 'overflow'
    : lifetime.timedOut && !lifetime.finished
      ? 'timeout'
      : lifetime.error && !lifetime.finished
        ? 'crashed'
        : end.signal !== null
          ? 'killed'
          : lifetime.finished
            ? 'finished'
            : 'exited';
  const info: ReapInfo = { reason, exitCode: end.code, signal: end.signal, lifetime: lifetime.number };
  if (reason === 'crashed') info.error = lifetime.error;
  return withServed(info, lifetime);
}

/** `served` when serve() finished the lifetime: the reason a server child ended, for whoever recycles it. */
function withServed(info: ReapInfo, lifetime: Lifetime): ReapInfo {
  if (lifetime.finished && lifetime.served) info.served = lifetime.served;
  return info;
}
