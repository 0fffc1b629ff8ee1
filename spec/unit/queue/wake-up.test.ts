import { WakeUp } from '../../../lib/queue/wake-up';

/**
 * pg's Client, stood in for: WakeUp loads it from where pg-boss finds it
 * (node_modules/pg here), so that module is replaced. Each client made is
 * kept, with what it was asked; `connect` and `query` answer as the test says.
 */
type Listener = (arg?: unknown) => void;

class FakeClient {
  static made: FakeClient[] = [];
  static connect: () => Promise<unknown> = () => Promise.resolve();
  static query: (text: string) => Promise<unknown> = () => Promise.resolve();
  static end: () => Promise<void> = () => Promise.resolve();

  readonly queries: string[] = [];
  ended = 0;
  readonly listeners = new Map<string, Listener[]>();

  constructor(readonly options: unknown) {
    FakeClient.made.push(this);
  }

  connect(): Promise<unknown> {
    return FakeClient.connect();
  }

  query(text: string): Promise<unknown> {
    this.queries.push(text);
    return FakeClient.query(text);
  }

  end(): Promise<void> {
    this.ended++;
    return FakeClient.end();
  }

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  emit(event: string, arg?: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener(arg);
  }
}

// 'pg' from here is the file pg-boss resolves too (one pg, hoisted: see the first test, which fails if the real one loads).
jest.mock('pg', () => ({ Client: FakeClient }));

const OPTIONS = { url: 'postgres://u:secret@127.0.0.1:5432/db', schema: 'PgBoss', queue: 'emails', connectTimeoutMs: 1234 };

function make() {
  const wakes: number[] = [];
  const logs: string[] = [];
  const wakeUp = new WakeUp(OPTIONS, () => wakes.push(1), (message) => logs.push(message));
  return { wakeUp, wakes, logs };
}

beforeEach(() => {
  jest.useFakeTimers();
  FakeClient.made = [];
  FakeClient.connect = () => Promise.resolve();
  FakeClient.query = () => Promise.resolve();
  FakeClient.end = () => Promise.resolve();
});

afterEach(() => {
  jest.useRealTimers();
});

test("start(): one client of its own (named, with the connect timeout), LISTENing on the schema's channel", async () => {
  const { wakeUp, logs } = make();
  await wakeUp.start();
  expect(FakeClient.made).toHaveLength(1);
  const [client] = FakeClient.made;
  expect(client.options).toEqual({ connectionString: OPTIONS.url, connectionTimeoutMillis: 1234, application_name: 'prefork-ipc-listen' });
  expect(client.queries).toEqual(['LISTEN "prefork_ipc_pgboss"']);
  expect(logs).toEqual([]);
  await wakeUp.close();
});

test("a notification naming the queue wakes the manager; another queue's, or one without a payload, does not", async () => {
  const { wakeUp, wakes } = make();
  await wakeUp.start();
  const [client] = FakeClient.made;
  client.emit('notification', { channel: 'prefork_ipc_pgboss', payload: 'other' });
  client.emit('notification', { channel: 'prefork_ipc_pgboss' });
  expect(wakes).toHaveLength(0);
  client.emit('notification', { channel: 'prefork_ipc_pgboss', payload: 'emails' });
  client.emit('notification', { channel: 'prefork_ipc_pgboss', payload: 'emails' });
  expect(wakes).toHaveLength(2);
  await wakeUp.close();
});

test('start() while listening makes no second connection; after close() it makes none', async () => {
  const { wakeUp } = make();
  await wakeUp.start();
  await wakeUp.start();
  expect(FakeClient.made).toHaveLength(1);
  await wakeUp.close();
  expect(FakeClient.made[0].ended).toBe(1);
  await wakeUp.start();
  expect(FakeClient.made).toHaveLength(1);
});

test('a failed connect: logged (the poll covers meanwhile), the client ended, tried again after 5 s and not before', async () => {
  FakeClient.connect = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  const { wakeUp, logs } = make();
  await wakeUp.start(); // resolves: the failure is not the caller's
  expect(logs).toEqual(['listening for new jobs: connect ECONNREFUSED 127.0.0.1:5432; looking every --poll ms meanwhile']);
  expect(FakeClient.made[0].ended).toBe(1);
  FakeClient.connect = () => Promise.resolve();
  await jest.advanceTimersByTimeAsync(4999);
  expect(FakeClient.made).toHaveLength(1);
  await jest.advanceTimersByTimeAsync(1);
  expect(FakeClient.made).toHaveLength(2);
  expect(FakeClient.made[1].queries).toEqual(['LISTEN "prefork_ipc_pgboss"']);
  await wakeUp.close();
});

test('the LISTEN failing counts as a lost connection too', async () => {
  FakeClient.query = () => Promise.reject(new Error('permission denied'));
  const { wakeUp, logs } = make();
  await wakeUp.start();
  expect(logs).toEqual(['listening for new jobs: permission denied; looking every --poll ms meanwhile']);
  expect(FakeClient.made[0].ended).toBe(1);
  expect(jest.getTimerCount()).toBe(1);
  await wakeUp.close();
});

test('failures in a row are logged once; once listening again, the next loss is logged again', async () => {
  FakeClient.connect = () => Promise.reject(new Error('down'));
  const { wakeUp, logs } = make();
  await wakeUp.start();
  await jest.advanceTimersByTimeAsync(5000);
  await jest.advanceTimersByTimeAsync(5000);
  expect(FakeClient.made).toHaveLength(3);
  expect(logs).toHaveLength(1);
  FakeClient.connect = () => Promise.resolve();
  await jest.advanceTimersByTimeAsync(5000);
  expect(FakeClient.made).toHaveLength(4);
  FakeClient.made[3].emit('error', new Error('terminating connection due to administrator command'));
  expect(logs).toEqual([
    'listening for new jobs: down; looking every --poll ms meanwhile',
    'listening for new jobs: terminating connection due to administrator command; looking every --poll ms meanwhile',
  ]);
  await wakeUp.close();
});

test("a connection lost while listening ('error' then 'end', as pg emits them): one retry, not two", async () => {
  const { wakeUp, logs } = make();
  await wakeUp.start();
  const [client] = FakeClient.made;
  client.emit('error', undefined);
  client.emit('end');
  expect(logs).toEqual(['listening for new jobs: the connection failed; looking every --poll ms meanwhile']);
  expect(client.ended).toBe(1);
  expect(jest.getTimerCount()).toBe(1);
  await jest.advanceTimersByTimeAsync(5000);
  expect(FakeClient.made).toHaveLength(2);
  await wakeUp.close();
});

test("'end' alone is a lost connection", async () => {
  const { wakeUp, logs } = make();
  await wakeUp.start();
  FakeClient.made[0].emit('end');
  expect(logs).toEqual(['listening for new jobs: the connection ended; looking every --poll ms meanwhile']);
  await wakeUp.close();
});

test('close() ends the client, cancels a pending retry, and what the old client says afterwards is not logged', async () => {
  FakeClient.connect = () => Promise.reject(new Error('down'));
  const { wakeUp, logs } = make();
  await wakeUp.start();
  await wakeUp.close();
  expect(jest.getTimerCount()).toBe(0);
  await jest.advanceTimersByTimeAsync(10_000);
  expect(FakeClient.made).toHaveLength(1);
  FakeClient.made[0].emit('error', new Error('late'));
  expect(logs).toHaveLength(1);
});

test('after close(), the closed client\'s own \'error\' or \'end\' is no lost connection: nothing logged, no reconnect', async () => {
  const { wakeUp, logs } = make();
  await wakeUp.start();
  await wakeUp.close();
  FakeClient.made[0].emit('error', new Error('Connection terminated'));
  FakeClient.made[0].emit('end');
  expect(logs).toEqual([]);
  expect(jest.getTimerCount()).toBe(0);
  await jest.advanceTimersByTimeAsync(10_000);
  expect(FakeClient.made).toHaveLength(1);
});

test('close() resolves even when ending the client fails', async () => {
  const { wakeUp } = make();
  await wakeUp.start();
  FakeClient.end = () => Promise.reject(new Error('already closed'));
  await expect(wakeUp.close()).resolves.toBeUndefined();
  expect(FakeClient.made[0].ended).toBe(1);
});

test('a lost connection whose end() fails is still retried (no unhandled rejection)', async () => {
  const { wakeUp } = make();
  await wakeUp.start();
  FakeClient.end = () => Promise.reject(new Error('already closed'));
  FakeClient.made[0].emit('end');
  await jest.advanceTimersByTimeAsync(5000);
  expect(FakeClient.made).toHaveLength(2);
  FakeClient.end = () => Promise.resolve();
  await wakeUp.close();
});

test('the retry timer does not keep the process alive', async () => {
  const unref = jest.spyOn(globalThis, 'setTimeout');
  FakeClient.connect = () => Promise.reject(new Error('down'));
  const { wakeUp } = make();
  await wakeUp.start();
  const timer = unref.mock.results.at(-1)!.value as NodeJS.Timeout;
  expect(timer.hasRef()).toBe(false);
  await wakeUp.close();
});

/**
 * Found by this spec: #lost() used to act on whichever client was current, so
 * an old client whose 'end' arrived after the retry made a new one (its end()
 * slow: a half-open TCP connection) ended the new, healthy listener, logged a
 * loss that did not happen, and scheduled a needless reconnect.
 */
test("a stale client's late 'end' leaves the current listener alone", async () => {
  const { wakeUp, logs } = make();
  await wakeUp.start();
  const [old] = FakeClient.made;
  old.emit('error', new Error('read ETIMEDOUT'));
  await jest.advanceTimersByTimeAsync(5000);
  const current = FakeClient.made[1];
  expect(current.queries).toEqual(['LISTEN "prefork_ipc_pgboss"']);
  old.emit('end'); // the old socket finally closes
  expect(current.ended).toBe(0);
  expect(logs).toHaveLength(1);
  expect(jest.getTimerCount()).toBe(0);
  await wakeUp.close();
});
