/**
 * `balance: 'round-robin'`: the manager accepts on its listening sockets and
 * hands each connection to the next serving child in turn, as node:cluster's
 * primary does (lib/internal/cluster/round_robin_handle.js). Measured with
 * the kernel's balancing, 4 children under 50 keep-alive connections: the
 * busiest child served 13.8× the least busy (the child awake at the first
 * burst of connects takes most and keeps them); dealt in turn, each child
 * gets every 4th connection. docs/servers.md has the numbers.
 *
 * - Accepted with `pauseOnConnect`: the manager never reads a byte; the
 *   child's socket reads what the client sent.
 * - Sent with `child.send(message, socket, { keepOpen: true })` on the IPC
 *   channel (protocol/connections.ts). `keepOpen` keeps the manager's copy
 *   until the child says it has the socket (`ppiTaken`, as cluster's
 *   workers answer 'accepted'), so a socket sent to a child that died before
 *   reading it is dealt again to the next child instead of lost. Node's own
 *   send reports success once the bytes are written, even into the channel
 *   of a child already dead: that alone would lose it.
 * - Who takes connections: children that said `ppiServing` and have not been
 *   told to stop, of the newest generation among them (rotation.ts). The
 *   manager withdraws a child the moment it signals it to stop (a TERM
 *   forward, a rolling step, a shrink, a retirement), so a reload sends new
 *   connections to the new generation only. A child stopping on its own
 *   says `ppiStopping` and waits for `ppiStopped`: every socket sent before
 *   that answer reaches it first, so none is left in the channel as it exits.
 * - No child to take a connection (all starting, or between generations):
 *   the connection waits in a queue of the socket's backlog (511 by
 *   default), as it would wait in the kernel's; over that it is closed.
 *   Dealt in arrival order when a child says it serves.
 * - Lost: only a connection its child had taken when it died, as a
 *   connection a dying child had accepted in kernel mode.
 */
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { listenerOf } from '../protocol/connections';
import { warn } from '../warn';
import { observed, publish } from './events';
import type { OpenListener } from './listeners';
import { Rotation } from './rotation';

/** Linux's default listen() backlog, net.Server's too. */
const DEFAULT_BACKLOG = 511;

interface Lane {
  readonly index: number;
  readonly server: net.Server;
  readonly rotation: Rotation<number>;
  /** Connections no child could take yet, oldest first. */
  readonly waiting: net.Socket[];
  readonly limit: number;
}

interface Seat {
  readonly child: ChildProcess;
  readonly generation: number;
  /** Told to stop: never joins a rotation again. */
  withdrawn: boolean;
  /** Sockets sent and not yet taken, oldest first (the child takes them in order): dealt again if the channel closes first. */
  readonly sent: Array<{ readonly socket: net.Socket; readonly lane: Lane }>;
}

/** What `server.listen()` takes for one of the manager's sockets. */
function listenTarget(listener: OpenListener): object {
  return typeof listener.stdio === 'number' ? { fd: listener.stdio } : listener.stdio;
}

export class RoundRobin {
  readonly #lanes: Lane[];
  readonly #seats = new Map<number, Seat>();
  #overflowWarned = false;

  private constructor(
    lanes: Lane[],
    /** The manager's id on the event channel (`backlog`). */
    private readonly manager: number,
  ) {
    this.#lanes = lanes;
  }

  /** Starts accepting on every socket. The servers are unref'd: they never keep the manager alive by themselves. */
  static async open(listeners: readonly OpenListener[], manager = 0): Promise<RoundRobin> {
    const lanes: Lane[] = [];
    const dealer = new RoundRobin(lanes, manager);
    for (const [index, listener] of listeners.entries()) {
      const server = net.createServer({ pauseOnConnect: true });
      const limit = listener.info.backlog ?? DEFAULT_BACKLOG;
      const lane: Lane = { index, server, rotation: new Rotation(), waiting: [], limit };
      server.on('connection', (socket: net.Socket) => {
        socket.on('error', () => {}); // a reset while the manager holds it is the client's business, never the manager's crash
        dealer.#deal(lane, socket);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listenTarget(listener), limit, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      // accept() failing (EMFILE…) must not end the manager; the kernel keeps the connection queued.
      server.on('error', (err) => warn(`round-robin: accepting on ${listener.info.address} failed: ${err.message}`));
      server.unref();
      lanes.push(lane);
    }
    return dealer;
  }

  /** A spawned child: it takes connections once it says it serves (ppiServing). */
  attach(pid: number, child: ChildProcess, generation: number): void {
    const seat: Seat = { child, generation, withdrawn: false, sent: [] };
    this.#seats.set(pid, seat);
    child.on('message', (message: unknown) => this.#onMessage(pid, seat, message));
    child.once('disconnect', () => this.detach(pid));
  }

  /** Told to stop: no further connection goes to it (those already sent are its to answer). */
  withdraw(pid: number): void {
    const seat = this.#seats.get(pid);
    if (!seat) return;
    seat.withdrawn = true;
    for (const lane of this.#lanes) lane.rotation.leave(pid);
  }

  /** Gone (its channel closed, or it was reaped): sockets not yet written to it go to the others. */
  detach(pid: number): void {
    const seat = this.#seats.get(pid);
    if (!seat) return;
    this.withdraw(pid);
    this.#seats.delete(pid);
    const untaken = seat.sent.splice(0);
    for (const { socket, lane } of untaken) this.#deal(lane, socket);
  }

  #onMessage(pid: number, seat: Seat, message: unknown): void {
    if (listenerOf(message, 'ppiTaken') !== undefined) {
      seat.sent.shift()?.socket.destroy(); // the manager's copy; the child's descriptor keeps the connection
      return;
    }
    const serving = listenerOf(message, 'ppiServing');
    if (serving !== undefined) {
      const lane = this.#lanes[serving];
      if (!lane || seat.withdrawn) return;
      lane.rotation.join(pid, seat.generation);
      this.#drain(lane);
      return;
    }
    const stopping = listenerOf(message, 'ppiStopping');
    if (stopping === undefined) return;
    this.#lanes[stopping]?.rotation.leave(pid);
    // Sent after every socket already sent to it: the child knows nothing more is coming.
    if (seat.child.connected) seat.child.send({ ppiStopped: stopping }, () => {});
  }

  #deal(lane: Lane, socket: net.Socket): void {
    if (socket.destroyed) return;
    let pid: number | undefined;
    let seat: Seat | undefined;
    while ((pid = lane.rotation.next()) !== undefined && !(seat = this.#seats.get(pid))) lane.rotation.leave(pid);
    if (pid === undefined || !seat) return this.#wait(lane, socket);
    const entry = { socket, lane };
    seat.sent.push(entry);
    seat.child.send({ ppiConnection: lane.index }, socket, { keepOpen: true }, (err) => {
      if (!err) return; // written: the child's ppiTaken closes the manager's copy
      const at = seat.sent.indexOf(entry);
      if (at < 0) return; // already dealt again (the channel closed)
      seat.sent.splice(at, 1);
      // The channel is closed: the child is dying. Out of the rotation, and the socket to the next.
      this.withdraw(pid);
      this.#deal(lane, socket);
    });
  }

  /** No child takes this listener's connections now: queue it, as the kernel's backlog would. */
  #wait(lane: Lane, socket: net.Socket): void {
    if (lane.waiting.length >= lane.limit) {
      if (!this.#overflowWarned) {
        this.#overflowWarned = true;
        warn(`round-robin: no child is serving and ${lane.limit} connections are waiting (the backlog): closing new ones until a child serves`);
      }
      socket.destroy();
      return;
    }
    lane.waiting.push(socket);
    this.#backlog(lane);
  }

  /** A child began serving: the queued connections go out, in arrival order. */
  #drain(lane: Lane): void {
    const before = lane.waiting.length;
    while (lane.waiting.length > 0 && lane.rotation.size > 0) this.#deal(lane, lane.waiting.shift()!);
    if (lane.waiting.length !== before) this.#backlog(lane);
  }

  /** The `backlog` event: the lane's waiting count changed. */
  #backlog(lane: Lane): void {
    if (observed('backlog')) publish('backlog', { waiting: lane.waiting.length, listener: lane.index, manager: this.manager, at: Date.now() });
  }
}
