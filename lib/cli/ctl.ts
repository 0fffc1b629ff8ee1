/**
 * `prefork-ipc ctl --socket PATH <command> [args]`: one request to a
 * manager's control socket (the `controlSocket` option), one reply printed.
 * `status` prints a table like `pm2 ls` (`--json` prints the reply as it
 * came); the exit status is 0 when the command succeeded, 1 when it failed
 * (a reload rolled back: its error is printed), 2 for bad usage, and 3 when
 * the manager cannot be reached.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import type { PoolStatus } from '../view';
import { CTL_STDERR_PREFIX, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE } from './exit-codes';

export const CTL_USAGE = `Usage: prefork-ipc ctl --socket PATH [--json] COMMAND [ARGS]

Commands (sent to a running manager's controlSocket):
  status                    the children: slot, pid, generation, state, note, served, ELU, RSS, age
  metrics                   the Prometheus exposition
  add [N] / remove [N]      raise / lower maxWorkers by N (default 1)
  kill PID [--hard]         SIGTERM (--hard: SIGKILL) one child
  cancel PID [REASON]       abort a child's current lifetime
  send PID JSON             send a message to a child's ppi.on('message')
  reload [--wait]           what a HUP does; --wait: until the new generation is ready, or the reload failed
  stop [--wait]             what a TERM does; --wait: until every child has exited
  config                    the manager's settings
  listeners                 the listening sockets`;


/** How long to wait for an answer; a --wait reply may take as long as a reload. */
const CONNECT_TIMEOUT_MS = 5000;

class Usage extends Error {}

function whole(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Usage(`${what} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** The request for the command line, or a Usage error. */
export function ctlRequest(args: string[], flags: { hard: boolean; wait: boolean }): Record<string, unknown> {
  const [command, ...rest] = args;
  if (command === undefined) throw new Usage('a command is required');
  const extra = (max: number): void => {
    if (rest.length > max) throw new Usage(`${command}: unexpected ${JSON.stringify(rest[max])}`);
  };
  switch (command) {
    case 'status':
    case 'metrics':
    case 'config':
    case 'listeners':
      extra(0);
      return { command };
    case 'add':
    case 'remove':
      extra(1);
      return { command, ...(rest[0] === undefined ? {} : { n: whole(rest[0], 'N') }) };
    case 'kill':
      extra(1);
      return { command, pid: whole(rest[0] ?? '', 'PID'), ...(flags.hard ? { hard: true } : {}) };
    case 'cancel':
      extra(2);
      return { command, pid: whole(rest[0] ?? '', 'PID'), ...(rest[1] === undefined ? {} : { reason: rest[1] }) };
    case 'send': {
      extra(2);
      if (rest[1] === undefined) throw new Usage('send: JSON (the message) is required');
      let message: unknown;
      try {
        message = JSON.parse(rest[1]);
      } catch (err) {
        throw new Usage(`send: the message is not JSON: ${(err as Error).message}`);
      }
      return { command, pid: whole(rest[0], 'PID'), message };
    }
    case 'reload':
    case 'stop':
      extra(0);
      return { command, ...(flags.wait ? { wait: true } : {}) };
    default:
      // Unknown names still go to the manager, which answers with its list: one list, kept there.
      return { command, ...(rest.length > 0 ? { args: rest } : {}) };
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** The `pm2 ls`-like table. */
export function statusTable(status: PoolStatus, now = Date.now()): string {
  const head = ['slot', 'pid', 'gen', 'phase', 'state', 'note', 'served', 'elu', 'rss', 'age'];
  const rows = status.children.map((c) => [
    c.slot === undefined ? '-' : String(c.slot),
    String(c.pid),
    String(c.generation),
    c.phase,
    c.state,
    (c.note ?? '').slice(0, 40),
    String(c.served),
    `${Math.round(c.elu * 100)}%`,
    c.lastBeat === 0 ? '-' : mib(c.rss),
    age(now - c.startedAt),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  const summary =
    `manager ${status.pid}  generation ${status.generation}  maxWorkers ${status.maxWorkers}  ` +
    `busy ${status.busy}  idle ${status.idle}  starting ${status.starting}  stopping ${status.stopping}  served ${status.served}`;
  return [summary, line(head), ...rows.map(line)].join('\n') + '\n';
}

/** Sends one request and resolves with the reply object; rejects (with `unreachable` set) when there is no manager. */
function ask(socketPath: string, request: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let text = '';
    let connected = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no connection to ${socketPath} within ${CONNECT_TIMEOUT_MS} ms`), { unreachable: true }));
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      socket.end(JSON.stringify(request) + '\n');
    });
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`cannot reach the manager at ${socketPath}: ${err.code ?? err.message}`), { unreachable: !connected }));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      const line = text.split('\n').find((l) => l.trim() !== '');
      if (line === undefined) return reject(Object.assign(new Error(`the manager at ${socketPath} closed the connection without a reply`), { unreachable: !connected }));
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new Error(`the manager sent something that is not JSON: ${line.slice(0, 200)}`));
      }
    });
  });
}

/** Runs `prefork-ipc ctl …` (argv after `ctl`); resolves with the exit status. */
export async function runCtl(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let socketPath: string;
  let request: Record<string, unknown>;
  let json: boolean;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        socket: { type: 'string', short: 's' },
        json: { type: 'boolean' },
        hard: { type: 'boolean' },
        wait: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out.write(`${CTL_USAGE}\n`);
      return EXIT_OK;
    }
    if (values.socket === undefined || values.socket === '') throw new Usage('--socket PATH is required (the manager\'s controlSocket option)');
    socketPath = values.socket;
    json = values.json === true;
    request = ctlRequest(positionals, { hard: values.hard === true, wait: values.wait === true });
  } catch (e) {
    err.write(`${CTL_STDERR_PREFIX}${(e as Error).message}\n\n${CTL_USAGE}\n`);
    return EXIT_USAGE;
  }
  let reply: Record<string, unknown>;
  try {
    reply = await ask(socketPath, request);
  } catch (e) {
    err.write(`${CTL_STDERR_PREFIX}${(e as Error).message}\n`);
    return (e as { unreachable?: boolean }).unreachable ? EXIT_UNREACHABLE : EXIT_FAILED;
  }
  if (json) out.write(`${JSON.stringify(reply)}\n`);
  if (reply.ok !== true) {
    err.write(`${CTL_STDERR_PREFIX}${String(request.command)} failed: ${String(reply.error)}\n`);
    return EXIT_FAILED;
  }
  if (json) return EXIT_OK;
  const result = reply.result;
  if (request.command === 'status') out.write(statusTable(result as PoolStatus));
  else if (typeof result === 'string') out.write(result.endsWith('\n') ? result : `${result}\n`);
  else out.write(`${JSON.stringify(result, null, 2)}\n`);
  return EXIT_OK;
}
