/**
 * manager/round-robin.ts without child processes: a real listening socket on
 * 127.0.0.1 and real client connections, but the children are stand-ins that
 * record what they were sent and answer as a test tells them.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { openListeners } from '../../../lib/manager/listeners';
import { RoundRobin } from '../../../lib/manager/round-robin';

type SendCallback = (error: Error | null) => void;

/** A child as the dealer sees it: `send()` recorded, messages from it emitted. */
class FakeChild extends EventEmitter {
  connected = true;
  readonly sent: Array<{ message: Record<string, number>; socket?: net.Socket; callback?: SendCallback }> = [];
  failSends = false;
  /** Says ppiTaken for each connection it is sent, as a serving child does at once; false: as a hung one, never. */
  autoTake = true;

  send(message: Record<string, number>, socket?: unknown, options?: unknown, callback?: SendCallback): boolean {
    const done = typeof socket === 'function' ? (socket as SendCallback) : callback;
    const entry = { message, socket: socket instanceof net.Socket ? socket : undefined, callback: done };
    this.sent.push(entry);
    if (this.failSends) process.nextTick(() => done?.(new Error('channel closed')));
    else
      process.nextTick(() => {
        done?.(null);
        if (this.autoTake && 'ppiConnection' in message) this.emit('message', { ppiTaken: message.ppiConnection });
      });
    return true;
  }

  /** The sockets it was handed, in order. */
  connections(): net.Socket[] {
    return this.sent.filter((entry) => 'ppiConnection' in entry.message).map((entry) => entry.socket!);
  }

  asChild(): ChildProcess {
    return this as unknown as ChildProcess;
  }
}

const clients: net.Socket[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

async function dealer(backlog?: number): Promise<{ rr: RoundRobin; port: number }> {
  const listeners = await openListeners([{ port: 0, host: '127.0.0.1', ...(backlog ? { backlog } : {}) }]);
  // Its servers are unref'd, as in a manager: they keep nothing alive after the tests.
  const rr = await RoundRobin.open(listeners);
  return { rr, port: listeners[0].info.port! };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const client = net.connect(port, '127.0.0.1', () => resolve(client));
    client.on('error', reject);
    clients.push(client);
  });
}

/** Waits until `check` holds, polling every 5 ms for at most 2 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 2000) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('connections wait until a child serves, then go to the serving children in turn', async () => {
  const { rr, port } = await dealer();
  const a = new FakeChild();
  const b = new FakeChild();
  rr.attach(1, a.asChild());
  rr.attach(2, b.asChild());
  await connect(port);
  await connect(port);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(a.sent).toEqual([]); // not serving yet
  a.emit('message', { ppiServing: 0 });
  await until(() => a.connections().length === 2); // the two waiting ones, in order
  b.emit('message', { ppiServing: 0 });
  for (let i = 0; i < 4; i++) await connect(port);
  await until(() => a.connections().length + b.connections().length === 6);
  expect([a.connections().length, b.connections().length]).toEqual([4, 2]);
  expect(a.sent[0].message).toEqual({ ppiConnection: 0 });
});

test("the manager's copy is closed when the child says it took it (ppiTaken), not before; the next is sent only then", async () => {
  const { rr, port } = await dealer();
  const a = new FakeChild();
  a.autoTake = false;
  rr.attach(1, a.asChild());
  a.emit('message', { ppiServing: 0 });
  await connect(port);
  await connect(port);
  await until(() => a.connections().length === 1);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the second has arrived in the manager too
  expect(a.connections()).toHaveLength(1); // held until the first is taken
  const [first] = a.connections();
  expect(first.destroyed).toBe(false);
  a.emit('message', { ppiTaken: 0 });
  expect(first.destroyed).toBe(true);
  expect(a.connections()).toHaveLength(2);
  expect(a.connections()[1].destroyed).toBe(false);
  rr.detach(1); // its stall timer must not warn during the next test
});

test('a child that has not taken its connection within TAKE_WITHIN_MS is skipped, its held ones go to the others, and it rejoins once it takes it', async () => {
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  try {
    const { rr, port } = await dealer();
    const hung = new FakeChild();
    hung.autoTake = false;
    const b = new FakeChild();
    rr.attach(1, hung.asChild());
    rr.attach(2, b.asChild());
    hung.emit('message', { ppiServing: 0 });
    b.emit('message', { ppiServing: 0 });
    await connect(port); // hung: sent, never taken
    await until(() => hung.connections().length === 1);
    await connect(port); // b
    await until(() => b.connections().length === 1);
    await connect(port); // hung's turn: held for it, behind the untaken one
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.connections()).toHaveLength(1);
    // After TAKE_WITHIN_MS (1 s) the held one goes to b, and so does every new one.
    await until(() => b.connections().length === 2);
    for (let i = 0; i < 3; i++) await connect(port);
    await until(() => b.connections().length === 5);
    expect(hung.connections()).toHaveLength(1);
    expect(emitWarning.mock.calls).toEqual([[expect.stringMatching(/^round-robin: child 1 has not taken a connection sent 1000 ms ago/), { code: 'PREFORK_IPC' }]]);
    // It takes its connection: back in the turn.
    hung.autoTake = true;
    hung.emit('message', { ppiTaken: 0 });
    for (let i = 0; i < 2; i++) await connect(port);
    await until(() => hung.connections().length + b.connections().length === 8);
    expect(hung.connections()).toHaveLength(2);
  } finally {
    emitWarning.mockRestore();
  }
});

test('a child whose send fails is skipped; sockets it had not taken when its channel closed go to the next', async () => {
  const { rr, port } = await dealer();
  const a = new FakeChild();
  const b = new FakeChild();
  const c = new FakeChild();
  rr.attach(1, a.asChild());
  rr.attach(2, b.asChild());
  rr.attach(3, c.asChild());
  for (const child of [a, b, c]) child.emit('message', { ppiServing: 0 });
  a.failSends = true;
  b.autoTake = false;
  await connect(port); // to a: fails, so to b
  await until(() => b.connections().length === 1);
  await connect(port); // a is out of the turn now: c
  await until(() => c.connections().length === 1);
  await connect(port); // b's turn: held for it, behind the one it has not taken
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(a.connections()).toHaveLength(1);
  expect(b.connections()).toHaveLength(1);
  // b's channel closes with one socket sent and one held, neither taken: both go to c, oldest first, still open when sent.
  const [untaken] = b.connections();
  expect(untaken.destroyed).toBe(false);
  b.emit('disconnect');
  await until(() => c.connections().length === 3);
  expect(c.connections()[1]).toBe(untaken);
});

test('a child told to stop gets nothing more and never rejoins; one stopping itself is answered ppiStopped', async () => {
  const { rr, port } = await dealer();
  const a = new FakeChild();
  const b = new FakeChild();
  rr.attach(1, a.asChild());
  rr.attach(2, b.asChild());
  a.emit('message', { ppiServing: 0 });
  b.emit('message', { ppiServing: 0 });
  rr.withdraw(1);
  a.emit('message', { ppiServing: 0 }); // a serve() that began after the stop signal
  await connect(port);
  await connect(port);
  await until(() => b.connections().length === 2);
  expect(a.connections()).toEqual([]);
  b.emit('message', { ppiStopping: 0 });
  expect(b.sent.at(-1)?.message).toEqual({ ppiStopped: 0 });
  // Nobody serves: the next one waits; a child of a newer generation takes it.
  await connect(port);
  const c = new FakeChild();
  rr.attach(3, c.asChild());
  c.emit('message', { ppiServing: 0 });
  await until(() => c.connections().length === 1);
});

test('every serving child takes its turn, old generation or new, until it is withdrawn', async () => {
  const { rr, port } = await dealer();
  const old = new FakeChild(); // generation 1
  const fresh = new FakeChild(); // generation 2, in a reload
  rr.attach(1, old.asChild());
  rr.attach(2, fresh.asChild());
  old.emit('message', { ppiServing: 0 });
  await connect(port);
  await until(() => old.connections().length === 1);
  fresh.emit('message', { ppiServing: 0 });
  for (let i = 0; i < 4; i++) await connect(port);
  await until(() => old.connections().length + fresh.connections().length === 5);
  expect([old.connections().length, fresh.connections().length]).toEqual([3, 2]);
  rr.withdraw(1); // the old child is told to stop
  for (let i = 0; i < 2; i++) await connect(port);
  await until(() => fresh.connections().length === 4);
  expect(old.connections()).toHaveLength(3);
});

test('with no child serving, connections beyond the backlog are closed, with one warning', async () => {
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  try {
    const { port } = await dealer(2);
    const waiting = [await connect(port), await connect(port)];
    const over = await connect(port);
    await new Promise<void>((resolve) => over.once('close', () => resolve()));
    expect(waiting.every((socket) => !socket.destroyed)).toBe(true);
    expect(emitWarning.mock.calls).toEqual([
      [expect.stringMatching(/^round-robin: no child is serving and 2 connections are waiting \(the backlog\)/), { code: 'PREFORK_IPC' }],
    ]);
  } finally {
    emitWarning.mockRestore();
  }
});
