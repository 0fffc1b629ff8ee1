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
 *   told to stop, in turn, whatever their generation (rotation.ts). The
 *   manager withdraws a child the moment it signals it to stop (a TERM
 *   forward, a rolling step, a shrink, a retirement), so in a reload the old
 *   children take new connections until they are told, and the new ones from
 *   the moment they serve. A child stopping on its own
 *   says `ppiStopping` and waits for `ppiStopped`: every socket sent before
 *   that answer reaches it first, so none is left in the channel as it exits.
 * - No child to take a connection (all starting, or between generations):
 *   the connection waits in a queue of the socket's backlog (511 by
 *   default), as it would wait in the kernel's; over that it is closed.
 *   Dealt in arrival order when a child says it serves.
 * - Lost: only a connection its child had taken when it died, as a
 *   connection a dying child had accepted in kernel mode.
 * - One connection at a time in a child's channel: the next waits in the
 *   manager (the child's `held` queue) until the child says `ppiTaken`. Node
 *   writes a channel's sockets one at a time anyway (each waits for the
 *   child's internal acknowledgement), so this costs no throughput, and a
 *   socket still in the manager can be dealt elsewhere, where one written
 *   into the channel cannot be taken back.
 * - A child that has not taken its connection within TAKE_WITHIN_MS (its
 *   event loop stuck or busy) leaves the rotations: its held connections go
 *   to the others, and it gets no more until it takes that one. Without this,
 *   a hung child was dealt every Nth connection (with 2 children, half the
 *   requests timed out) and the manager kept a descriptor for each.
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
/**
 * A child that has not taken a connection this long after it was sent is
 * skipped until it does. A child serving normally takes one in well under a
 * millisecond (one turn of its event loop); a second is a child busy or stuck
 * for a second, whose next connections are better served by a sibling.
 */
export const TAKE_WITHIN_MS = 1000;

interface Lane {
  readonly index: number;
  readonly server: net.Server;
  readonly rotation: Rotation<number>;
  /** Connections no child could take yet, oldest first. */
  readonly waiting: net.Socket[];
  readonly limit: number;
}

interface Dealt {
  readonly socket: net.Socket;
  readonly lane: Lane;
}

interface Seat {
  readonly child: ChildProcess;
  /** Told to stop: never joins a rotation again. */
  withdrawn: boolean;
  /** Sockets sent and not yet taken, oldest first (the child takes them in order): dealt again if the channel closes first. */
  readonly sent: Dealt[];
  /** Dealt to it and not yet sent: each waits for the child to take the one before it. */
  readonly held: Dealt[];
  /** The lanes it said it serves (ppiServing), to join again after a stall. */
  readonly serving: Set<Lane>;
  /** It has not taken its connection within TAKE_WITHIN_MS: out of the rotations until it does. */
  stalled: boolean;
  /** Armed while a socket sent to it is untaken; unref'd. */
  timer: NodeJS.Timeout | undefined;
  /** Warned about a stall once: a busy server's children may stall often. */
  warned: boolean;
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
  attach(pid: number, child: ChildProcess): void {
    const seat: Seat = { child, withdrawn: false, sent: [], held: [], serving: new Set(), stalled: false, timer: undefined, warned: false };
    this.#seats.set(pid, seat);
    child.on('message', (message: unknown) => this.#onMessage(pid, seat, message));
    child.once('disconnect', () => this.detach(pid));
  }

  /** Told to stop: no further connection goes to it (those already sent are its to answer; those held go to the others). */
  withdraw(pid: number): void {
    const seat = this.#seats.get(pid);
    if (!seat) return;
    seat.withdrawn = true;
    for (const lane of this.#lanes) lane.rotation.leave(pid);
    this.#dealAgain(seat.held.splice(0));
  }

  /** Gone (its channel closed, or it was reaped): sockets not yet taken by it go to the others. */
  detach(pid: number): void {
    const seat = this.#seats.get(pid);
    if (!seat) return;
    clearTimeout(seat.timer);
    // Oldest first: those in its channel, then those held for it.
    const untaken = [...seat.sent.splice(0), ...seat.held.splice(0)];
    this.withdraw(pid);
    this.#seats.delete(pid);
    this.#dealAgain(untaken);
  }

  #onMessage(pid: number, seat: Seat, message: unknown): void {
    if (listenerOf(message, 'ppiTaken') !== undefined) {
      seat.sent.shift()?.socket.destroy(); // the manager's copy; the child's descriptor keeps the connection
      if (seat.stalled) this.#recovered(pid, seat);
      this.#sendNext(pid, seat);
      this.#watch(pid, seat);
      return;
    }
    const serving = listenerOf(message, 'ppiServing');
    if (serving !== undefined) {
      const lane = this.#lanes[serving];
      if (!lane || seat.withdrawn) return;
      seat.serving.add(lane);
      if (seat.stalled) return; // it joins once it takes what it was sent
      lane.rotation.join(pid);
      this.#drain(lane);
      return;
    }
    const stopping = listenerOf(message, 'ppiStopping');
    if (stopping === undefined) return;
    const lane = this.#lanes[stopping];
    if (lane) {
      lane.rotation.leave(pid);
      seat.serving.delete(lane);
      // Not sent yet: never after the answer below. Dealt to the others instead.
      const held = seat.held.filter((entry) => entry.lane === lane);
      seat.held.splice(0, seat.held.length, ...seat.held.filter((entry) => entry.lane !== lane));
      this.#dealAgain(held);
    }
    // Sent after every socket already sent to it: the child knows nothing more is coming.
    if (seat.child.connected) seat.child.send({ ppiStopped: stopping }, () => {});
  }

  #deal(lane: Lane, socket: net.Socket): void {
    if (socket.destroyed) return;
    let pid: number | undefined;
    let seat: Seat | undefined;
    while ((pid = lane.rotation.next()) !== undefined && !(seat = this.#seats.get(pid))) lane.rotation.leave(pid);
    if (pid === undefined || !seat) return this.#wait(lane, socket);
    seat.held.push({ socket, lane });
    this.#sendNext(pid, seat);
  }

  #dealAgain(entries: Dealt[]): void {
    for (const { socket, lane } of entries) this.#deal(lane, socket);
  }

  /** Sends the oldest held socket when nothing sent to the child is still untaken. */
  #sendNext(pid: number, seat: Seat): void {
    if (seat.sent.length > 0) return;
    const entry = seat.held.shift();
    if (!entry) return;
    if (entry.socket.destroyed) return this.#sendNext(pid, seat); // the client gave up while it waited
    seat.sent.push(entry);
    this.#watch(pid, seat);
    seat.child.send({ ppiConnection: entry.lane.index }, entry.socket, { keepOpen: true }, (err) => {
      if (!err) return; // written: the child's ppiTaken closes the manager's copy
      const at = seat.sent.indexOf(entry);
      if (at < 0) return; // already dealt again (the channel closed)
      seat.sent.splice(at, 1);
      // The channel is closed: the child is dying. Out of the rotation, and the socket to the next.
      this.withdraw(pid);
      this.#deal(entry.lane, entry.socket);
    });
  }

  /** Arms the stall timer while a socket sent to the child is untaken (measured from when it became the oldest). */
  #watch(pid: number, seat: Seat): void {
    clearTimeout(seat.timer);
    seat.timer = undefined;
    if (seat.sent.length === 0 || seat.stalled) return;
    seat.timer = setTimeout(() => this.#stalled(pid, seat), TAKE_WITHIN_MS).unref();
  }

  #stalled(pid: number, seat: Seat): void {
    seat.timer = undefined;
    if (seat.sent.length === 0 || this.#seats.get(pid) !== seat) return;
    seat.stalled = true;
    for (const lane of this.#lanes) lane.rotation.leave(pid);
    if (!seat.warned) {
      seat.warned = true;
      warn(
        `round-robin: child ${pid} has not taken a connection sent ${TAKE_WITHIN_MS} ms ago (its event loop is busy or stuck); ` +
          'its other connections go to the other children, and it gets none until it takes that one',
      );
    }
    this.#dealAgain(seat.held.splice(0));
  }

  /** A stalled child took its connection: back into the rotations it serves. */
  #recovered(pid: number, seat: Seat): void {
    seat.stalled = false;
    if (seat.withdrawn) return;
    for (const lane of seat.serving) {
      lane.rotation.join(pid);
      this.#drain(lane);
    }
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
