import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { flush } from './flush';
import { warn } from '../warn';
import { CallbackError } from '../errors';
import { Channel } from '../protocol/channel';
import { assertNever, decodeFromManager, encodeLine, isBlankLine, ProtocolError } from '../protocol/codec';
import { PROTOCOL_VERSION, type ChildToManager, type ManagerToChild } from '../protocol/messages';
import type { ManagerExitPolicy } from '../options';
import type { Listener, PreforkView } from '../view';
import { warnOnAddressInUse } from './addr-in-use';
import { childListeners } from './listeners';

/** fd 3 carries the manager's messages to us, fd 4 ours to it. */
const FROM_MANAGER_FD = 3;
const TO_MANAGER_FD = 4;

interface PendingCall {
  name: string;
  resolve(value: unknown): void;
  reject(error: CallbackError): void;
}

function isPipe(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * What runs inside a child process: one channel to the manager, calls matched
 * to replies by id. The channel holds the event loop open only while a call
 * is waiting for its answer, so a child with nothing left to do exits like
 * any Node process. (The manager's handle on a child is manager/child-handle.ts.)
 */
export class ChildRuntime {
  /** Known before the hello arrives: the manager is the process that spawned us. */
  managerPid = process.ppid;
  generation = 0;
  workerData: unknown = undefined;
  /** The manager's listening sockets, known once the hello arrived. */
  listeners: readonly Listener[] = [];

  readonly #channel: Channel;
  readonly #pending = new Map<number, PendingCall>();
  readonly #hello: Promise<void>;
  #helloReceived = false;
  #nextId = 1;
  #started = false;
  #finishing: Promise<never> | undefined;
  #managerGone = false;

  constructor(
    private readonly owner: PreforkView,
    private readonly maxMessageBytes: number,
    private readonly onManagerExit: ManagerExitPolicy,
    marker: string,
  ) {
    if (!isPipe(FROM_MANAGER_FD) || !isPipe(TO_MANAGER_FD)) {
      throw new Error(
        `${marker} is set in the environment, but fd 3 and fd 4 are not the pipes a PreforkIPC manager gives its children. ` +
          `Was this script started by hand with ${marker} set? Unset it to run the script as a manager.`,
      );
    }
    let helloArrived!: () => void;
    let helloFailed!: (error: Error) => void;
    this.#hello = new Promise<void>((resolve, reject) => {
      helloArrived = resolve;
      helloFailed = reject;
    });
    this.#hello.catch(() => {}); // reported through start(), if anyone calls it
    warnOnAddressInUse(() => this.listeners.length > 0);
    const input = new Socket({ fd: FROM_MANAGER_FD, readable: true, writable: false });
    const output = new Socket({ fd: TO_MANAGER_FD, readable: false, writable: true });
    this.#channel = new Channel(input, output, maxMessageBytes, {
      line: (line) => this.#onLine(line, helloArrived),
      overflow: (bytes) => {
        warn(`the manager sent a line of more than ${bytes} bytes (maxMessageBytes); the channel is closed`);
        this.#channel.destroy();
      },
      closed: () => this.#onManagerGone(helloFailed),
    });
    this.#updateRef();
  }

  /** Resolves once the manager's hello arrived (rejects if the manager went away first). */
  get ready(): Promise<void> {
    return this.#hello;
  }

  async start(fn?: () => unknown): Promise<false> {
    if (this.#started) {
      throw new Error(
        'PreforkIPC.start() was called again inside a child process. A child must end with finish() ' +
          '(or return from its work) instead of going round the loop to start() again.',
      );
    }
    this.#started = true;
    await this.#hello;
    if (fn) {
      await fn();
      await this.finish(0, undefined);
    }
    return false;
  }

  callback(name: string, payload: unknown): Promise<unknown> {
    if (typeof name !== 'string' || name === '') {
      return Promise.reject(new TypeError(`callback(name): name must be a non-empty string, got ${String(name)}`));
    }
    if (this.#managerGone) {
      return Promise.reject(new CallbackError('MANAGER_GONE', name, `callback '${name}' cannot be sent: the manager went away`));
    }
    const id = this.#nextId++;
    const line = this.#encode({ type: 'call', id, name, payload }, `the payload of callback '${name}'`, name, `callback '${name}' was not sent`);
    if (line instanceof CallbackError) return Promise.reject(line);
    return new Promise((resolve, reject) => this.#request(id, line, { name, resolve, reject }));
  }

  finish(exitCode: number, payload: unknown): Promise<never> {
    if (this.#finishing) return this.#finishing;
    if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
      return Promise.reject(new TypeError(`finish(exitCode): exitCode must be a whole number from 0 to 255, got ${String(exitCode)}`));
    }
    const id = this.#nextId++;
    const line = this.#encode({ type: 'finish', id, payload }, 'the final payload', 'finish', 'finish() sent nothing');
    if (line instanceof CallbackError) return Promise.reject(line);
    this.#finishing = (async () => {
      if (!this.#managerGone) {
        // Wait for the manager's acknowledgement: exiting once the bytes are
        // merely queued would cut a large payload short. A failure (the
        // manager went away) is no reason to stay either.
        await new Promise<unknown>((resolve) => this.#request(id, line, { name: 'finish', resolve, reject: resolve }));
      }
      await Promise.all([flush(process.stdout), flush(process.stderr)]);
      process.exit(exitCode);
    })();
    return this.#finishing;
  }

  /** The message as a line, or the CallbackError (BAD_PAYLOAD) saying why it cannot be sent. */
  #encode(message: ChildToManager, what: string, name: string, failure: string): string | CallbackError {
    try {
      return encodeLine(message, what, message.payload, this.maxMessageBytes);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return new CallbackError('BAD_PAYLOAD', name, `${failure}: ${err.message}`);
    }
  }

  /** Sends a line and waits for the reply with the same id. */
  #request(id: number, line: string, call: PendingCall): void {
    this.#pending.set(id, call);
    this.#updateRef();
    this.#channel.write(line);
  }

  #onLine(line: Buffer, helloArrived: () => void): void {
    if (isBlankLine(line)) return;
    let message: ManagerToChild;
    try {
      message = decodeFromManager(line);
    } catch (err) {
      warn(`dropped a malformed message from the manager: ${(err as Error).message}`);
      return;
    }
    switch (message.type) {
      case 'hello':
        if (message.protocol !== PROTOCOL_VERSION) {
          warn(`the manager speaks protocol version ${String(message.protocol)}, this child ${PROTOCOL_VERSION}: are two versions of parallel-prefork-ipc installed?`);
        }
        this.managerPid = message.managerPid;
        this.generation = message.generation;
        this.workerData = message.workerData;
        this.listeners = childListeners(message.listeners);
        this.#helloReceived = true;
        this.#updateRef();
        helloArrived();
        return;
      case 'notice':
        warn(message.message);
        return;
      case 'reply': {
        const call = this.#pending.get(message.id);
        if (!call) {
          warn(`dropped a reply from the manager for call id ${message.id}, which nothing is waiting for`);
          return;
        }
        this.#pending.delete(message.id);
        this.#updateRef();
        if (message.error) call.reject(new CallbackError(message.error.code, call.name, message.error.message));
        else call.resolve(message.result);
        return;
      }
      default:
        assertNever(message);
    }
  }

  #onManagerGone(helloFailed: (error: Error) => void): void {
    this.#managerGone = true;
    helloFailed(new Error('the PreforkIPC manager went away before this child was set up'));
    for (const [id, call] of this.#pending) {
      this.#pending.delete(id);
      call.reject(new CallbackError('MANAGER_GONE', call.name, `callback '${call.name}' was not answered: the manager went away`));
    }
    this.#updateRef();
    if (this.#finishing) return;
    const policy = this.onManagerExit;
    if (policy === 'terminate') process.kill(process.pid, 'SIGTERM');
    else if (typeof policy === 'function') policy(this.owner);
  }

  /** Hold the process open only while waiting for the manager's hello or an answer. */
  #updateRef(): void {
    if (this.#managerGone) return this.#channel.setRef(false);
    this.#channel.setRef(!this.#helloReceived || this.#pending.size > 0);
  }
}
