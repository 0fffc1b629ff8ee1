/**
 * `ppi.statusHandler()` and `ppi.metricsHandler()`: request handlers for a
 * server of the user's (in a child, or a small one in the manager). The
 * status page has three forms, so existing tools read it:
 * - default: a text page after Plack::Middleware::ServerStatus::Lite's
 *   (`Uptime`, `BusyWorkers`, `IdleWorkers`, then one line per child);
 * - `?json`: `ppi.status()` as it is;
 * - `?auto`: Apache mod_status's machine-readable form (`Total Accesses`,
 *   `BusyWorkers`, `IdleWorkers`, `Scoreboard`), for check_http scripts and
 *   dashboards made for Apache.
 * Loaded on first use, in either role; it imports only types.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PoolStatus } from './view';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The content type of the metrics exposition. */
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Apache's scoreboard letters: `_` idle, `W` busy, `S` starting, `G` stopping ("gracefully finishing"), `.` an empty slot. */
function scoreboardLetters(status: PoolStatus): string {
  const letters: string[] = status.children.map((c) => (c.phase === 'starting' ? 'S' : c.phase === 'stopping' ? 'G' : c.state === 'idle' ? '_' : 'W'));
  while (letters.length < status.maxWorkers) letters.push('.');
  return letters.join('');
}

function duration(seconds: number): string {
  const parts: string[] = [];
  const units: Array<[string, number]> = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  for (const [unit, size] of units) {
    const n = Math.floor(seconds / size);
    seconds -= n * size;
    if (n > 0 || (unit === 'second' && parts.length === 0)) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
  }
  return parts.join(', ');
}

/** ServerStatus::Lite's text page. */
export function textPage(status: PoolStatus, now = Date.now()): string {
  const lines = [
    `Uptime: ${status.uptime} (${duration(status.uptime)})`,
    `BusyWorkers: ${status.busy}`,
    `IdleWorkers: ${status.idle}`,
    `StartingWorkers: ${status.starting}`,
    `StoppingWorkers: ${status.stopping}`,
    `TotalServed: ${status.served}`,
    '--',
    'pid slot generation phase state served inflight elu rss_mb ss note',
  ];
  for (const c of status.children) {
    const ss = Math.max(0, Math.round((now - c.since) / 1000));
    lines.push(
      [c.pid, c.slot ?? '-', c.generation, c.phase, c.state, c.served, c.inflight, c.elu.toFixed(2), (c.rss / 1048576).toFixed(1), ss, c.note ?? ''].join(' '),
    );
  }
  return lines.join('\n') + '\n';
}

/** Apache mod_status `?auto`. */
export function autoPage(status: PoolStatus): string {
  return [
    `Total Accesses: ${status.served}`,
    `Uptime: ${status.uptime}`,
    `BusyWorkers: ${status.busy}`,
    `IdleWorkers: ${status.idle}`,
    `Scoreboard: ${scoreboardLetters(status)}`,
  ].join('\n') + '\n';
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

function failed(res: ServerResponse, err: unknown): void {
  send(res, 503, 'text/plain; charset=utf-8', `the manager could not answer: ${(err as Error)?.message ?? String(err)}\n`);
}

export function statusHandler(get: () => Promise<PoolStatus>): RequestHandler {
  return (req, res) => {
    const query = new URL(req.url ?? '/', 'http://status').searchParams;
    get().then(
      (status) => {
        if (query.has('json')) send(res, 200, 'application/json', JSON.stringify(status));
        else if (query.has('auto')) send(res, 200, 'text/plain; charset=utf-8', autoPage(status));
        else send(res, 200, 'text/plain; charset=utf-8', textPage(status));
      },
      (err) => failed(res, err),
    );
  };
}

export function metricsHandler(get: () => Promise<string>): RequestHandler {
  return (_req, res) => {
    get().then(
      (text) => send(res, 200, METRICS_TYPE, text),
      (err) => failed(res, err),
    );
  };
}
