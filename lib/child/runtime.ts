import { fstatSync } from 'node:fs';
import { Socket, type ConnectOpts, type SocketConstructorOpts } from 'node:net';
import { flushStdio, watchStdio } from './flush';
import { watchCrashes } from './crash-report';
import { ChildLifetime, NEVER_ABORTED } from './lifetime';
import { warn } from '../warn';
import { CallbackError } from '../errors';
import { Channel } from '../protocol/channel';
import { assertNever, decodeFromManager, encodeLine, isBlankLine, ProtocolError } from '../protocol/codec';
import { FROM_CHILD_FD, PROTOCOL_VERSION, TO_CHILD_FD, type ChildToManager, type ManagerToChild } from '../protocol/messages';
import type { ManagerExitPolicy } from '../options';
import type { Listener, MessageListener, PreforkView, ServedInfo } from '../view';
import { warnOnAddressInUse } from './addr-in-use';
import { childListeners } from './listeners';
import { ChildBeat, type MetricsSource } from './beat';
import { watchEarlySignals } from './early-signals';

/** libuv's own read size for a stream: a line longer than this arrives in pieces of it. */
const READ_BUFFER_BYTES = 64 * 1024;

interface PendingCall {
  name: string;
  resolve(value: unknown): void;
  reject(error: CallbackError): void;
}

/** Loaded on first use, when an error crosses the pipe: most children never need it, and every module costs start-up. */
function errorShape(): typeof import('../protocol/error-shape') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, only when an error crosses the pipe
  return require('../protocol/error-shape') as typeof import('../protocol/error-shape');
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
 * to replies by id, and the lifetimes the manager hands this process (one,
 * unless `lifetimesPerChild` > 1). The channel holds the event loop open only
 * while something waits on the manager: a call its answer, start() its
 * lifetime, a `'message'` listener its messages (as Node's own IPC channel
 * does), a listener on the running lifetime's abortSignal its abort. A child
 * with nothing left to do exits like any Node process. (The manager's handle
 * on a child is manager/child-handle.ts.)
 */
export class ChildRuntime {
  /** Known before the hello arrives: the manager is the process that spawned us. */
  managerPid = process.ppid;
  generation = 0;
  /** The manager's listening sockets, known once the hello arrived. */
  listeners: readonly Listener[] = [];
  /** `balance: 'round-robin'` (from the hello): serve() takes connections from the manager instead of accepting. */
  roundRobin = false;

  /** The status and the periodic beat (beat.ts); the beat starts when the hello asks for it. */
  readonly beat = new ChildBeat((message) => this.#sendExtra(message));
  readonly #channel: Channel;
  readonly #pending = new Map<number, PendingCall>();
  readonly #messageListeners = new Set<MessageListener>();
  readonly #hello: Promise<void>;
  #helloArrived: () => void = () => {};
  #helloFailed: (error: Error) => void = () => {};
  #helloReceived = false;
  #nextId = 1;
  /** The lifetime start() began, and the one the manager handed over that start() has not begun yet. */
  #current: ChildLifetime | undefined;
  #next: ChildLifetime | undefined;
  /** A start() waiting for #next. */
  #waiting: { resolve(): void; reject(error: Error): void } | undefined;
  #finishing: Promise<void> | undefined;
  /** Settles when the serve() of this lifetime is over (servingUntil). */
  #serving: Promise<void> | undefined;
  #finished = false;
  #reuse = false;
  #reportRss = false;
  #retired = false;
  /** This process is on its way out (finish() without reuse, or retired): the manager's EOF is expected. */
  #exiting = false;
  #managerGone = false;
  /** The hello's readyOnStart: the first start() that resolves makes this child ready. */
  #readyOnStart = false;
  #readySent = false;
  /** This child's slot (the hello's `slot`); undefined until the hello, or from a manager that numbers none. */
  slot: number | undefined;
  #replaceAsked = false;

  constructor(
    private readonly owner: PreforkView,
    private readonly maxMessageBytes: number,
    private readonly onManagerExit: ManagerExitPolicy,
    private readonly configuredMaxWorkers: number,
    marker: string,
  ) {
    if (!isPipe(TO_CHILD_FD) || !isPipe(FROM_CHILD_FD)) {
      throw new Error(
        `${marker} is set in the environment, but fd ${TO_CHILD_FD} and fd ${FROM_CHILD_FD} are not the pipes a PreforkIPC manager gives its children. ` +
          `Was this script started by hand with ${marker} set? Unset it to run the script as a manager.`,
      );
    }
    // A stop signal swallowed by the application's own listener before serve() is not lost (early-signals.ts).
    watchEarlySignals();
    let helloArrived!: () => void;
    let helloFailed!: (error: Error) => void;
    this.#hello = new Promise<void>((resolve, reject) => {
      helloArrived = resolve;
      helloFailed = reject;
    });
    this.#hello.catch(() => {}); // reported through whoever awaits ready, if anyone does
    this.#helloArrived = helloArrived;
    this.#helloFailed = helloFailed;
    warnOnAddressInUse(() => (this.listeners.length === 0 ? 'none' : this.roundRobin ? 'round-robin' : 'kernel'));
    watchStdio();
    // Read with `onread`: each read lands in one reused buffer and goes straight to the
    // channel, past the Readable stream machinery. A child runs that path cold (a process
    // serves a few hundred lifetimes before the JIT has optimised it), and skipping it raised
    // the steady lifetime rate by 13–19 % (bench/: lifetime rate, A/B of 8 rounds each).
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const input = new Socket({
      fd: TO_CHILD_FD,
      readable: true,
      writable: false,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number): boolean => {
          // Reads begin on a later tick of the event loop: #channel is set by then.
          this.#channel.receive(readBuffer.subarray(0, bytes));
          return true;
        },
      },
    } as SocketConstructorOpts & ConnectOpts); // @types/node 20 lists onread for connect() only; Node takes it here too
    const output = new Socket({ fd: FROM_CHILD_FD, readable: false, writable: true });
    this.#channel = new Channel(input, output, maxMessageBytes, {
      line: (line) => this.#onLine(line),
      overflow: (bytes) => {
        warn(`the manager sent a line of more than ${bytes} bytes (maxMessageBytes); the channel is closed`);
        this.#channel.destroy();
      },
      closed: () => this.#onManagerGone(),
    }, { inputCallsReceive: true });
    watchCrashes(
      FROM_CHILD_FD,
      (error) => encodeLine({ type: 'crash', lifetime: this.lifetime, error: errorShape().toReportedError(error) }, 'the crash report', undefined, maxMessageBytes),
      (text) => {
        this.#channel.flushHeld();
        if (this.#channel.queuedBytes === 0) return false;
        this.#channel.write(text);
        return true;
      },
    );
    this.#updateRef();
  }

  /** Resolves once the manager's hello arrived (rejects if the manager went away first). */
  get ready(): Promise<void> {
    return this.#hello;
  }

  get workerData(): unknown {
    return this.#current?.workerData;
  }

  get lifetime(): number {
    return this.#current?.number ?? 0;
  }

  get abortSignal(): AbortSignal {
    return this.#current?.signal ?? NEVER_ABORTED;
  }

  /** The manager's maxWorkers when it handed over this lifetime; this process's own option before that. */
  get maxWorkers(): number {
    return (this.#current ?? this.#next)?.maxWorkers ?? this.configuredMaxWorkers;
  }

  on(listener: MessageListener): void {
    this.#messageListeners.add(listener);
    this.#updateRef();
  }

  off(listener: MessageListener): void {
    this.#messageListeners.delete(listener);
    this.#updateRef();
  }

  /**
   * serve() runs this lifetime until `ended`. A start() meanwhile (the loop-shaped port:
   * `while (…) { if (await ppi.start()) continue; await ppi.serve(server); }`) waits for it,
   * so the loop goes round only when serving is over (with reuse; without, finish() exits).
   */
  servingUntil(ended: Promise<void>): void {
    const mark: Promise<void> = ended.then(
      () => {
        if (this.#serving === mark) this.#serving = undefined;
      },
      () => {
        if (this.#serving === mark) this.#serving = undefined;
      },
    );
    this.#serving = mark;
  }

  async start(fn?: () => unknown): Promise<false> {
    if (this.#serving) await this.#serving;
    if (this.#waiting) throw new Error('PreforkIPC.start() is already waiting for the next lifetime in this child');
    if (this.#current && !this.#reuse) {
      throw new Error(
        'PreforkIPC.start() was called again inside a child process. A child must end with finish() ' +
          '(or return from its work) instead of going round the loop to start() again ' +
          '(unless lifetimesPerChild > 1 lets a child serve several lifetimes).',
      );
    }
    if (this.#current && !this.#finished) {
      throw new Error(
        `PreforkIPC.start() was called in a child before lifetime ${this.#current.number} called finish(): ` +
          'end each lifetime with await ppi.finish(code, payload) before going round to start().',
      );
    }
    await this.#nextLifetime();
    this.#current = this.#next;
    this.#next = undefined;
    this.#finished = false;
    this.#finishing = undefined;
    if (this.#reuse) this.beat.lifetime(true);
    if (this.#readyOnStart) void this.signalReady();
    this.#updateRef(); // its abortSignal may already have listeners
    if (fn) {
      await fn();
      // fn may have finished the lifetime itself (finish(code, payload)); with reuse that resolved.
      if (!this.#finishing) await this.finish(0, undefined);
    }
    return false;
  }

  /**
   * Tells the manager this child is ready (ppi.ready(), serve() once it listens). Once per
   * process; before the hello it waits for it. No answer is awaited: the line is queued in order
   * with everything else, and the manager needs nothing back.
   */
  async signalReady(): Promise<void> {
    if (this.#readySent) return;
    this.#readySent = true;
    try {
      await this.#hello;
    } catch {
      return; // the manager went away before its hello: nobody to tell
    }
    if (this.#managerGone) return;
    this.#channel.write('{"type":"ready"}\n');
  }

  /**
   * A server's listen() took one of the manager's sockets (child/listeners.ts). Listening on an
   * inherited, already listening descriptor completes within that call (Node reports a failure on
   * the next tick): once this turn of the event loop is over, the child can answer.
   */
  #ownListen(): void {
    if (this.#readySent) return;
    setImmediate(() => void this.signalReady());
  }

  callback(name: string, payload: unknown): Promise<unknown> {
    if (typeof name !== 'string' || name === '') {
      return Promise.reject(new TypeError(`callback(name): name must be a non-empty string, got ${String(name)}`));
    }
    if (this.#managerGone) {
      return Promise.reject(new CallbackError('MANAGER_GONE', name, `callback '${name}' cannot be sent: the manager went away`));
    }
    const id = this.#nextId++;
    const line = this.#encode({ type: 'call', id, name, payload }, payload, `the payload of callback '${name}'`, name, `callback '${name}' was not sent`);
    if (line instanceof CallbackError) return Promise.reject(line);
    return new Promise((resolve, reject) => this.#request(id, line, { name, resolve, reject }));
  }

  /** Without reuse never resolves (the process exits); with reuse resolves once the manager holds the payload. */
  finish(exitCode: number, payload: unknown, served?: ServedInfo): Promise<void> {
    if (this.#finishing) {
      if (!this.#finished) return this.#finishing; // called twice while the first is on its way
      return Promise.reject(
        new Error(`finish() was already called in lifetime ${this.lifetime}; the next lifetime begins with start()`),
      );
    }
    if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
      return Promise.reject(new TypeError(`finish(exitCode): exitCode must be a whole number from 0 to 255, got ${String(exitCode)}`));
    }
    const id = this.#nextId++;
    // RSS only when asked: reading it costs ≈ 10 µs (a read of /proc/self/stat), a few % of a short lifetime.
    const rss = this.#reportRss ? process.memoryUsage.rss() : undefined;
    const line = this.#encode({ type: 'finish', id, payload, code: exitCode, rss, served }, payload, 'the final payload', 'finish', 'finish() sent nothing');
    if (line instanceof CallbackError) return Promise.reject(line);
    this.#finishing = (async () => {
      if (!this.#managerGone) {
        // Wait for the manager's acknowledgement: exiting once the bytes are
        // merely queued would cut a large payload short. A failure (the
        // manager went away) is no reason to stay either.
        await new Promise<unknown>((resolve) => this.#request(id, line, { name: 'finish', resolve, reject: resolve }));
      }
      if (this.#reuse) {
        this.#finished = true;
        this.beat.lifetime(false);
        this.#updateRef();
        return;
      }
      await this.beat.last();
      this.#exiting = true;
      await flushStdio();
      process.exit(exitCode);
    })();
    return this.#finishing;
  }

  /**
   * Asks the manager to replace this process, replacement first (serve()'s maxRequests);
   * once per process, and nothing when the manager is gone.
   */
  askReplacement(reason: 'requests'): void {
    if (this.#replaceAsked || this.#managerGone) return;
    this.#replaceAsked = true;
    this.#channel.write(`${JSON.stringify({ type: 'replace', reason })}\n`);
  }

  /** `ppi.setStatus(state, note)`. */
  setStatus(state: unknown, note: unknown): void {
    this.beat.setStatus(state, note);
  }

  /** `ppi.exportMetrics(registry)`: the registry goes with every beat. */
  exportMetrics(source: MetricsSource): void {
    this.beat.exportMetrics(source);
  }

  /** A beat or status line: nothing waits for an answer, and nothing is sent once the manager is gone. */
  #sendExtra(message: ChildToManager): void {
    if (this.#managerGone || this.#exiting) return;
    let line: string;
    try {
      line = encodeLine(message, 'the beat', undefined, this.maxMessageBytes);
    } catch (err) {
      if (!('metrics' in message) || !(err instanceof ProtocolError)) throw err;
      // Metrics over maxMessageBytes: the beat goes without them rather than not at all.
      if (!this.#metricsTooLarge) warn(`the metrics exported with the beat were not sent: ${err.message}`);
      this.#metricsTooLarge = true;
      line = JSON.stringify({ ...message, metrics: undefined }) + '\n';
    }
    this.#channel.write(line);
  }

  #metricsTooLarge = false;

  /** Resolves once a lifetime is there for start() to begin; never, when this child is retired (it exits). */
  #nextLifetime(): Promise<void> {
    if (this.#next) return Promise.resolve();
    if (this.#retired) return this.#exitRetired();
    if (this.#managerGone) return Promise.reject(this.#goneError());
    return new Promise<void>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#updateRef();
    });
  }

  #goneError(): Error {
    return this.#helloReceived
      ? new Error('the PreforkIPC manager went away; no further lifetime will come')
      : new Error('the PreforkIPC manager went away before this child was set up');
  }

  /** Retired: flush what was printed, exit 0, and leave start() pending for good. */
  #exitRetired(): Promise<never> {
    void this.beat
      .last()
      .then(() => {
        this.#exiting = true;
        return flushStdio();
      })
      .then(() => process.exit(0));
    return new Promise<never>(() => {});
  }

  #wake(): void {
    const waiting = this.#waiting;
    if (!waiting) return;
    this.#waiting = undefined;
    this.#updateRef();
    if (this.#next) waiting.resolve();
    else if (this.#retired) void this.#exitRetired();
    else waiting.reject(this.#goneError());
  }

  /** The message as a line, or the CallbackError (BAD_PAYLOAD) saying why it cannot be sent. */
  #encode(message: ChildToManager, payload: unknown, what: string, name: string, failure: string): string | CallbackError {
    try {
      return encodeLine(message, what, payload, this.maxMessageBytes);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return new CallbackError('BAD_PAYLOAD', name, `${failure}: ${err.message}`);
    }
  }

  /**
   * Sends a line and waits for the reply with the same id. A line that cannot
   * be written (fd 4 closed by the child's own code, or failed) fails its call
   * at once: no reply can come for what the manager never got.
   */
  #request(id: number, line: string, call: PendingCall): void {
    this.#pending.set(id, call);
    this.#updateRef();
    this.#channel.write(line, (error) => {
      if (!error || this.#pending.get(id) !== call) return;
      this.#pending.delete(id);
      this.#updateRef();
      call.reject(
        new CallbackError(
          'CHANNEL_CLOSED',
          call.name,
          `callback '${call.name}' was not sent: this child's channel to the manager (fd ${FROM_CHILD_FD}) is closed (${error.message})`,
        ),
      );
    });
  }

  #onLine(line: Buffer): void {
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
        this.roundRobin = message.balance === 'round-robin';
        // readyOnListen: the application's own server.listen(ppi.listeners[i]) makes this child ready.
        this.listeners = childListeners(message.listeners, !this.roundRobin, message.readyOnListen === true ? () => this.#ownListen() : undefined);
        this.#reuse = message.reuse === true;
        this.#reportRss = message.reportRss === true;
        this.#readyOnStart = message.readyOnStart === true;
        this.slot = message.slot;
        this.#next = new ChildLifetime(1, message.workerData, message.maxWorkers ?? this.configuredMaxWorkers, this.#refresh);
        this.#helloReceived = true;
        this.#updateRef();
        if (message.beatInterval !== undefined) this.beat.start(message.beatInterval);
        this.#helloArrived();
        this.#wake();
        return;
      case 'next-lifetime':
        this.#next = new ChildLifetime(message.lifetime, message.workerData, message.maxWorkers, this.#refresh);
        this.#wake();
        return;
      case 'abort-lifetime': {
        const target = [this.#current, this.#next].find((l) => l?.number === message.lifetime);
        if (target && !(target === this.#current && this.#finished)) target.abort(message.reason, message.timeout);
        this.#updateRef(); // an aborted signal is awaited no more
        return;
      }
      case 'retire':
        this.#retired = true;
        this.#wake();
        return;
      case 'message':
        for (const listener of [...this.#messageListeners]) {
          try {
            listener(message.payload);
          } catch (err) {
            // As an EventEmitter listener's throw would: an uncaught exception, not a broken channel.
            process.nextTick(() => {
              throw err;
            });
          }
        }
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
        if (message.error) {
          const { code, message: text, cause } = message.error;
          call.reject(new CallbackError(code, call.name, text, cause === undefined ? undefined : errorShape().fromReportedError(cause)));
        } else call.resolve(message.result);
        return;
      }
      default:
        assertNever(message);
    }
  }

  #onManagerGone(): void {
    this.#managerGone = true;
    this.#helloFailed(this.#goneError()); // no effect once the hello arrived
    for (const [id, call] of this.#pending) {
      this.#pending.delete(id);
      call.reject(new CallbackError('MANAGER_GONE', call.name, `callback '${call.name}' was not answered: the manager went away`));
    }
    this.#wake();
    this.#updateRef();
    if (this.#exiting) return;
    const policy = this.onManagerExit;
    if (policy === 'terminate') process.kill(process.pid, 'SIGTERM');
    else if (typeof policy === 'function') policy(this.owner);
  }

  readonly #refresh = (): void => this.#updateRef();

  /**
   * Hold the process open only while something waits on the manager: its
   * hello, a lifetime, an answer, a send() (a 'message' listener), or the
   * abort of the running lifetime (a listener on its abortSignal). Not once
   * this process is on its way out (finished without reuse, or retired), nor
   * once the manager is gone: nothing more can come.
   */
  #updateRef(): void {
    if (this.#managerGone) return this.#channel.setRef(false);
    const current = this.#current;
    const listening =
      !this.#exiting &&
      !this.#retired &&
      (this.#messageListeners.size > 0 || (current !== undefined && !this.#finished && current.abortAwaited));
    this.#channel.setRef(!this.#helloReceived || this.#waiting !== undefined || this.#pending.size > 0 || listening);
  }
}
