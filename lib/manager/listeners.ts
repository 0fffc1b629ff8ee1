/**
 * The manager's listening sockets (the `listen` option): opened once, before
 * the first spawn, and held for the manager's whole life, so a reload never
 * closes a port and the kernel queues new connections while children change.
 *
 * The manager binds each socket but never accepts on it. Node has no public
 * "bind without listening": `net.Server.listen()` would also make the
 * manager's event loop accept connections, stealing them from the children
 * (the trap a literal Starlet port falls into). So this uses
 * `net._createServerHandle()`, the bind-only call node:cluster's primary uses
 * for the same purpose (lib/internal/cluster/shared_handle.js). In kernel
 * mode the sockets are then made to listen by a helper process
 * (listen-first.ts), so connections queue before the first child listens; a
 * socket stays listening, with the manager's descriptor holding it, when
 * every child is gone.
 */
import { unlinkSync } from 'node:fs';
import net from 'node:net';
import { getSystemErrorMap } from 'node:util';
import { onExit } from 'signal-exit';
import type { ListenSpec, ResolvedOptions } from '../options';
import type { ListenerAddress } from '../protocol/messages';
import { removeStaleSocket } from './stale-socket';
import { listenFirst } from './listen-first';
import { warn } from '../warn';


/** libuv's handle types (TCP, Pipe): only the members used here. */
interface BoundHandle {
  getsockname?(out: Record<string, unknown>): number;
  close(): void;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number) => BoundHandle | number;
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

/** One socket the manager holds; `stdio` is what goes into a child's spawn() stdio array. */
export interface OpenListener {
  readonly info: ListenerAddress;
  readonly stdio: BoundHandle | number;
  /** For an adopted fd: the handle that read its address, kept so nothing ever closes it. */
  readonly held?: BoundHandle;
}

/** The listen() error in the words of the system: 'EADDRINUSE (address already in use)'. */
function describe(errno: number): string {
  const known = getSystemErrorMap().get(errno);
  return known ? `${known[0]} (${known[1]})` : `error ${errno}`;
}

function failure(where: string, reason: string): Error {
  return new Error(`PreforkIPC option 'listen': cannot listen on ${where}: ${reason}`);
}

function tcpAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Binds TCP host:port; EADDRINUSE comes back from getsockname, since libuv defers it from bind to listen. */
function openTcp(spec: { port: number; host?: string; backlog?: number }): OpenListener {
  const asked = spec.host ?? '::';
  if (spec.host !== undefined && spec.host !== 'localhost' && net.isIP(spec.host) === 0) {
    throw failure(tcpAddress(spec.host, spec.port), 'host must be an IP address or localhost (the manager binds before any lookup could run)');
  }
  let host = asked === 'localhost' ? '127.0.0.1' : asked;
  let handle = createServerHandle(host, spec.port, net.isIP(host));
  // As net.Server does: no host means IPv6 any (dual stack), or IPv4 any where there is no IPv6.
  if (typeof handle === 'number' && spec.host === undefined) {
    host = '0.0.0.0';
    handle = createServerHandle(host, spec.port, 4);
  }
  const where = tcpAddress(spec.host ?? host, spec.port);
  if (typeof handle === 'number') throw failure(where, describe(handle));
  const out: Record<string, unknown> = {};
  const err = handle.getsockname!(out);
  if (err !== 0) {
    handle.close();
    throw failure(where, describe(err));
  }
  const port = out.port as number;
  const info: ListenerAddress = { address: tcpAddress(host, port), host, port };
  if (spec.backlog !== undefined) info.backlog = spec.backlog;
  return { info, stdio: handle };
}

/**
 * Binds a Unix socket. When the path is taken, only a stale socket (a socket nobody listens
 * on) is removed first; anything else fails start() naming what is there (stale-socket.ts).
 */
async function openUnix(spec: { path: string; backlog?: number }, owned: string[]): Promise<OpenListener> {
  let handle = createServerHandle(spec.path, -1, -1);
  if (handle === -98 /* EADDRINUSE: the path exists */) {
    const problem = await removeStaleSocket(spec.path);
    if (problem) throw failure(spec.path, problem);
    handle = createServerHandle(spec.path, -1, -1);
  }
  if (typeof handle === 'number') throw failure(spec.path, describe(handle));
  owned.push(spec.path);
  const info: ListenerAddress = { address: spec.path, path: spec.path };
  if (spec.backlog !== undefined) info.backlog = spec.backlog;
  return { info, stdio: handle };
}

/** A socket the manager already holds: it is passed on as it is; its address is read without opening it for accepting. */
function adoptFd(fd: number, backlog: number | undefined, source: string): OpenListener {
  const where = `fd ${fd} (${source})`;
  const handle = createServerHandle(null, 0, 0, fd);
  if (typeof handle === 'number') throw failure(where, `${describe(handle)}: not a socket this process holds`);
  const out: Record<string, unknown> = {};
  const err = handle.getsockname?.(out) ?? -1;
  // The handle is not closed: closing it would close the descriptor itself.
  let info: ListenerAddress;
  if (err === 0 && typeof out.port === 'number') info = { address: tcpAddress(out.address as string, out.port), host: out.address as string, port: out.port };
  else info = { address: where };
  if (backlog !== undefined) info.backlog = backlog;
  return { info, stdio: fd, held: handle };
}

/** systemd's first passed descriptor (sd-daemon.h): its own layout, not the one a child gets (protocol/messages.ts). */
const SD_LISTEN_FDS_START = 3;

/** `LISTEN_FDS` sockets, from fd 3 on, when `LISTEN_PID` is this process (systemd's sd_listen_fds()). */
export function systemdSpecs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): ListenSpec[] {
  const count = Number(env.LISTEN_FDS);
  if (env.LISTEN_PID === undefined || Number(env.LISTEN_PID) !== pid || !Number.isSafeInteger(count) || count < 1) {
    throw failure('systemd sockets', `LISTEN_FDS/LISTEN_PID do not name sockets for this process (LISTEN_PID=${env.LISTEN_PID ?? 'unset'}, pid ${pid})`);
  }
  return Array.from({ length: count }, (_, i) => ({ fd: SD_LISTEN_FDS_START + i }));
}

/** `SERVER_STARTER_PORT=host:port=fd;port=fd;/path=fd`, as Perl's Server::Starter sets it. */
export function serverStarterSpecs(env: NodeJS.ProcessEnv = process.env): ListenSpec[] {
  const value = env.SERVER_STARTER_PORT;
  if (!value) throw failure('Server::Starter sockets', 'SERVER_STARTER_PORT is not set (run under start_server)');
  return value
    .split(';')
    .filter(Boolean)
    .map((pair) => {
      const fd = Number(pair.slice(pair.lastIndexOf('=') + 1));
      if (!pair.includes('=') || !Number.isSafeInteger(fd) || fd < 0) throw failure('Server::Starter sockets', `cannot read ${JSON.stringify(pair)} in SERVER_STARTER_PORT`);
      return { fd };
    });
}

/** The sockets bound here (not adopted ones: a supervisor's socket already listens) listen now; a listen() error fails start(). */
async function listenBeforeFork(listeners: OpenListener[]): Promise<void> {
  const bound = listeners.filter((l) => typeof l.stdio !== 'number');
  if (bound.length === 0) return;
  const result = await listenFirst(
    bound.map((l) => l.stdio as object),
    bound.map((l) => l.info.backlog),
  );
  if (result.errors) {
    const i = result.errors.findIndex((err) => err !== 0);
    if (i >= 0) throw failure(bound[i].info.address, describe(result.errors[i]));
    return;
  }
  warn(`the 'listen' sockets could not be made to listen before the first child (${result.failed}): connections are refused until a child listens`);
}

/** Removes the Unix socket files this manager made, when it exits (libuv would on close(), which never comes). */
function removeOnExit(files: string[]): void {
  if (files.length === 0) return;
  onExit(() => {
    for (const file of files) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    }
  });
}

/**
 * Opens every socket of the `listen` option, or throws an error naming the
 * first that failed (closing those already open). `listenNow` (kernel mode):
 * the sockets this made also listen before it resolves (listen-first.ts), so
 * connections queue from then on instead of being refused until a child listens.
 */
export async function openListeners(listen: ResolvedOptions['listen'], listenNow = true): Promise<OpenListener[]> {
  const socketFiles: string[] = [];
  const listeners: OpenListener[] = [];
  if (listen === undefined) return listeners;
  const source = listen === 'systemd' ? 'systemd' : listen === 'server-starter' ? 'Server::Starter' : 'listen';
  const specs = listen === 'systemd' ? systemdSpecs() : listen === 'server-starter' ? serverStarterSpecs() : listen;
  try {
    for (const spec of specs) {
      if ('port' in spec) listeners.push(openTcp(spec));
      else if ('path' in spec) listeners.push(await openUnix(spec, socketFiles));
      else listeners.push(adoptFd(spec.fd, spec.backlog, source));
    }
    if (listenNow) await listenBeforeFork(listeners);
  } catch (err) {
    // Closing a bound Unix socket's handle also removes its file.
    for (const { stdio } of listeners) if (typeof stdio !== 'number') stdio.close();
    throw err;
  }
  removeOnExit(socketFiles);
  return listeners;
}
