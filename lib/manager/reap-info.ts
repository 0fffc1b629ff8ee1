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
  if (!end) return { reason: 'finished', exitCode: lifetime.code, signal: null, lifetime: lifetime.number };
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
  return info;
}
