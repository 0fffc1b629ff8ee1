/**
 * Waking an idle `--follow` manager as soon as `prefork-ipc enqueue` adds jobs,
 * instead of at its next `--poll`: one connection of its own (outside pg-boss's
 * pool, which would hand it back) that `LISTEN`s on the schema's channel;
 * `enqueue` sends `NOTIFY` with the queue's name after each batch it inserts.
 * Jobs added by other producers (pg-boss's own `send()`, SQL), and retries
 * that become due, send nothing: the poll stays as the fallback for those.
 * A lost connection is logged once and made again after a pause (unref'd
 * timer); meanwhile the poll alone finds new jobs.
 */
import path from 'node:path';
import { notifyChannel } from './sql';

const RECONNECT_MS = 5000;

interface ListenClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
}

type ClientConstructor = new (options: { connectionString: string; connectionTimeoutMillis: number; application_name: string }) => ListenClient;

/** pg's Client, from where pg-boss (already loaded and version-checked) finds it: pg is pg-boss's dependency, not ours. */
function loadClient(): ClientConstructor {
  const bossMain = require.resolve('pg-boss', { paths: [__dirname, process.cwd()] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- pg as pg-boss resolves it, loaded only by a --follow manager
  return (require(require.resolve('pg', { paths: [path.dirname(bossMain)] })) as { Client: ClientConstructor }).Client;
}

export class WakeUp {
  #client: ListenClient | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #warned = false;

  constructor(
    private readonly options: { url: string; schema: string; queue: string; connectTimeoutMs: number },
    private readonly wake: () => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Starts listening; resolves once listening (or once it failed: the poll covers for it). */
  async start(): Promise<void> {
    if (this.#closed || this.#client) return;
    const { url, schema, queue, connectTimeoutMs } = this.options;
    let client: ListenClient;
    try {
      const Client = loadClient();
      client = new Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: 'prefork-ipc-listen' });
    } catch (error) {
      return this.#lost(error as Error);
    }
    this.#client = client;
    client.on('notification', (message) => {
      if (message.payload === queue) this.wake();
    });
    client.on('error', (error) => this.#lost(error ?? new Error('the connection failed'), client));
    client.on('end', () => this.#lost(new Error('the connection ended'), client));
    try {
      await client.connect();
      await client.query(`LISTEN "${notifyChannel(schema)}"`);
      this.#warned = false;
    } catch (error) {
      this.#lost(error as Error, client);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  /**
   * `from`: the client the event came from. A client already given up on may
   * still say 'end' late (its socket half-open): that is no news about the
   * current one, which must not be ended for it.
   */
  #lost(error: Error, from?: ListenClient): void {
    if (this.#closed) return;
    if (from !== undefined && from !== this.#client) return;
    const client = this.#client;
    this.#client = undefined;
    void client?.end().catch(() => {});
    if (!this.#warned) this.log(`listening for new jobs: ${error.message}; looking every --poll ms meanwhile`);
    this.#warned = true;
    if (this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.start();
    }, RECONNECT_MS);
    this.#retry.unref();
  }
}
