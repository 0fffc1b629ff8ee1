/**
 * The pool's own metrics in the Prometheus text format (version 0.0.4), from
 * the scoreboard: no user code and no prom-client needed. The children's own
 * metrics, when they export any, are rendered by prom-client (children.ts)
 * and follow these.
 *
 * Format rules kept here (https://prometheus.io/docs/instrumenting/exposition_formats/):
 * one `# HELP` and one `# TYPE` per metric name, before its samples; label
 * values with `\`, `"` and newline escaped; histogram buckets cumulative,
 * ending with `le="+Inf"` equal to `_count`.
 */
import type { ReapReason } from '../../view';
import { CALLBACK_BUCKETS, type Scoreboard } from '../scoreboard';

const REAP_REASONS: ReapReason[] = ['finished', 'exited', 'crashed', 'killed', 'timeout', 'overflow'];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string | number>): string {
  const parts = Object.entries(pairs).map(([name, value]) => `${name}="${escapeLabel(String(value))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function number(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return Number.isNaN(value) ? 'NaN' : String(value);
}

class Writer {
  text = '';
  head(name: string, type: string, help: string): void {
    this.text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
  }
  sample(name: string, pairs: Record<string, string | number>, value: number): void {
    this.text += `${name}${labels(pairs)} ${number(value)}\n`;
  }
}

export interface PoolFigures {
  generation: number;
}

/** The pool metrics of `board`, as exposition text. */
export function poolMetrics(board: Scoreboard, pool: PoolFigures): string {
  const out = new Writer();
  const status = { starting: 0, busy: 0, idle: 0, stopping: 0 };
  for (const child of board.boards) {
    if (child.phase === 'starting') status.starting++;
    else if (child.phase === 'stopping') status.stopping++;
    else if (child.state === 'idle') status.idle++;
    else status.busy++;
  }
  out.head('prefork_workers', 'gauge', 'Child processes alive, by state: starting, busy, idle, stopping.');
  for (const [state, count] of Object.entries(status)) out.sample('prefork_workers', { state }, count);

  out.head('prefork_generation', 'gauge', "The manager's generation (start() count).");
  out.sample('prefork_generation', {}, pool.generation);

  out.head('prefork_spawns_total', 'counter', 'Child processes spawned.');
  out.sample('prefork_spawns_total', {}, board.spawns);

  out.head('prefork_lifetimes_total', 'counter', 'Lifetimes begun (one per process unless lifetimesPerChild > 1).');
  out.sample('prefork_lifetimes_total', {}, board.lifetimes);

  out.head('prefork_reaps_total', 'counter', 'Lifetimes ended, by reason (onChildReap info.reason).');
  for (const reason of REAP_REASONS) out.sample('prefork_reaps_total', { reason }, board.reaps.get(reason) ?? 0);

  out.head('prefork_served_total', 'counter', 'Requests (serve()) or busy spells (setStatus()) ended, children gone included.');
  out.sample('prefork_served_total', {}, board.status({ generation: pool.generation, maxWorkers: 0 }).served);

  out.head('prefork_reloads_total', 'counter', 'Reloads ended, by result (done, failed).');
  for (const result of ['done', 'failed'] as const) out.sample('prefork_reloads_total', { result }, board.reloads.get(result) ?? 0);

  out.head('prefork_callbacks_total', 'counter', 'Callbacks served, by name and result (ok, failed).');
  for (const [name, entry] of board.callbacks) {
    out.sample('prefork_callbacks_total', { name, result: 'ok' }, entry.ok);
    out.sample('prefork_callbacks_total', { name, result: 'failed' }, entry.failed);
  }

  out.head('prefork_callback_duration_seconds', 'histogram', 'Time from a callback reaching the manager to its reply, by name.');
  for (const [name, { duration }] of board.callbacks) {
    let cumulative = 0;
    CALLBACK_BUCKETS.forEach((bound, i) => {
      cumulative += duration.counts[i];
      out.sample('prefork_callback_duration_seconds_bucket', { name, le: bound }, cumulative);
    });
    out.sample('prefork_callback_duration_seconds_bucket', { name, le: '+Inf' }, duration.count);
    out.sample('prefork_callback_duration_seconds_sum', { name }, duration.sum);
    out.sample('prefork_callback_duration_seconds_count', { name }, duration.count);
  }

  out.head('prefork_child_rss_bytes', 'gauge', 'Resident memory of each child, from its last beat.');
  for (const child of board.boards) {
    if (child.lastBeat === 0) continue;
    out.sample('prefork_child_rss_bytes', child.slot === undefined ? { pid: child.pid } : { slot: child.slot, pid: child.pid }, child.rss);
  }
  return out.text;
}
