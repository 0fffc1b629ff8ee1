/**
 * The least WebSocket client that can talk the inspector protocol to a child
 * on loopback: GET `/json/list`, the upgrade handshake, masked client text
 * frames, and the server's unmasked text frames (with continuation, ping and
 * close). Enough for JSON-RPC with one process, nothing more.
 *
 * Why written here: Node 20 has no WebSocket client in core (Node 22 has a
 * global `WebSocket`, 21 behind a flag), and a package (`ws`) would be a
 * dependency of every user for a code path that runs only when a child hangs.
 * Only the manager loads this file, and only when a hung child is found.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

/** A frame's payload over this is refused: the inspector's answers to our few calls are small. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/** One target of `/json/list`, as much of it as we read. */
export interface InspectorTarget {
  id?: string;
  type?: string;
  title?: string;
  url?: string;
  webSocketDebuggerUrl?: string;
}

/** GET http://host:port/json/list; rejects on any failure (refused, not HTTP, not JSON) or after `timeoutMs`. */
export function listTargets(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<InspectorTarget[]> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host, port, path: '/json/list', timeout: timeoutMs, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 1024 * 1024) request.destroy(new Error('the /json/list answer is over 1 MiB'));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        if (response.statusCode !== 200) return reject(new Error(`/json/list answered HTTP ${response.statusCode}`));
        try {
          const targets = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          if (!Array.isArray(targets)) throw new Error('not a JSON array');
          resolve(targets as InspectorTarget[]);
        } catch (err) {
          reject(new Error(`/json/list did not answer a JSON list: ${(err as Error).message}`));
        }
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`/json/list did not answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** Encodes one masked client frame (RFC 6455 §5.2: a client masks every frame it sends). */
export function encodeClientFrame(opcode: number, payload: Buffer, mask: Buffer = crypto.randomBytes(4)): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.alloc(header + 4 + length);
  frame[0] = 0x80 | opcode; // FIN
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  mask.copy(frame, header);
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}

/** A frame read from the server. */
export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/**
 * Reads the frames at the start of `buffer`; returns them and the bytes left
 * over (an incomplete frame). Throws for a frame over MAX_FRAME_BYTES.
 */
export function decodeFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const fin = (buffer[at] & 0x80) !== 0;
    const opcode = buffer[at] & 0x0f;
    const masked = (buffer[at + 1] & 0x80) !== 0;
    let length = buffer[at + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      if (buffer.length - at < 4) break;
      length = buffer.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (buffer.length - at < 10) break;
      const big = buffer.readBigUInt64BE(at + 2);
      if (big > BigInt(MAX_FRAME_BYTES)) throw new Error(`a frame of ${big} bytes is over the ${MAX_FRAME_BYTES} accepted`);
      length = Number(big);
      header = 10;
    }
    if (length > MAX_FRAME_BYTES) throw new Error(`a frame of ${length} bytes is over the ${MAX_FRAME_BYTES} accepted`);
    const maskBytes = masked ? 4 : 0;
    if (buffer.length - at < header + maskBytes + length) break;
    const start = at + header + maskBytes;
    let payload = buffer.subarray(start, start + length);
    if (masked) {
      // A server must not mask, but unmasking costs nothing and keeps the decoder symmetric for tests.
      const mask = buffer.subarray(at + header, at + header + 4);
      payload = Buffer.from(payload);
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    }
    frames.push({ fin, opcode, payload });
    at = start + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

/** The `Sec-WebSocket-Accept` a server must answer for `key` (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** A JSON-RPC session with one inspector over one WebSocket. */
export class InspectorSession {
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #events = new Map<string, Array<(params: unknown) => void>>();
  #buffer: Buffer = Buffer.alloc(0);
  #message: Buffer[] = [];
  #closed: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#close(err));
    socket.on('close', () => this.#close(new Error('the inspector closed the connection')));
  }

  /**
   * Connects to a `ws://host:port/path` URL; rejects when the upgrade fails or
   * takes over `timeoutMs`. Only `ws:` on the loopback addresses is accepted:
   * this client talks to the manager's own children, nowhere else.
   */
  static connect(wsUrl: string, timeoutMs: number): Promise<InspectorSession> {
    let url: URL;
    try {
      url = new URL(wsUrl);
    } catch {
      return Promise.reject(new Error(`not a WebSocket URL: ${wsUrl}`));
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (url.protocol !== 'ws:' || !['127.0.0.1', 'localhost', '::1'].includes(host)) {
      return Promise.reject(new Error(`refusing ${wsUrl}: only ws:// on loopback is used`));
    }
    return new Promise((resolve, reject) => {
      const key = crypto.randomBytes(16).toString('base64');
      const socket = net.connect({ host, port: Number(url.port || 80) });
      const timer = setTimeout(() => fail(new Error(`the WebSocket upgrade took over ${timeoutMs} ms`)), timeoutMs);
      let head = Buffer.alloc(0);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > 16 * 1024) fail(new Error('the WebSocket upgrade answer has no end'));
          return;
        }
        socket.off('data', onData);
        socket.off('error', fail);
        clearTimeout(timer);
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        if (!/^HTTP\/1\.1 101\b/.test(lines[0])) return fail(new Error(`the WebSocket upgrade was answered ${lines[0]}`));
        const accept = lines.find((line) => /^sec-websocket-accept:/i.test(line))?.split(':')[1]?.trim();
        if (accept !== acceptFor(key)) return fail(new Error('the WebSocket upgrade answer has a wrong Sec-WebSocket-Accept'));
        const session = new InspectorSession(socket);
        const rest = head.subarray(end + 4);
        if (rest.length > 0) session.#onData(rest);
        resolve(session);
      };
      socket.on('data', onData);
      socket.on('error', fail);
      socket.on('connect', () => {
        socket.setNoDelay(true);
        socket.write(
          `GET ${url.pathname}${url.search} HTTP/1.1\r\n` +
            `Host: ${url.host}\r\n` +
            'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Sends method(params); resolves with its result, rejects with its error or when the connection ends. */
  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.socket.write(encodeClientFrame(OP_TEXT, Buffer.from(JSON.stringify({ id, method, params }), 'utf8')));
    });
  }

  /** Calls `listener` with the params of each `method` event. */
  on(method: string, listener: (params: unknown) => void): void {
    const listeners = this.#events.get(method) ?? [];
    listeners.push(listener);
    this.#events.set(method, listeners);
  }

  /** Sends a close frame and ends the socket; idempotent. */
  close(): void {
    if (this.#closed) return;
    try {
      this.socket.write(encodeClientFrame(OP_CLOSE, Buffer.alloc(0)));
    } catch {
      /* the socket is already gone */
    }
    this.socket.end();
    this.socket.destroySoon?.();
    this.#close(new Error('the session was closed'));
  }

  #close(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let decoded: ReturnType<typeof decodeFrames>;
    try {
      decoded = decodeFrames(this.#buffer);
    } catch (err) {
      return this.#close(err as Error);
    }
    this.#buffer = decoded.rest.length === 0 ? Buffer.alloc(0) : Buffer.from(decoded.rest);
    for (const frame of decoded.frames) {
      if (this.#closed) return;
      switch (frame.opcode) {
        case OP_TEXT:
        case OP_CONTINUATION:
          this.#message.push(frame.payload);
          if (frame.fin) {
            const text = Buffer.concat(this.#message).toString('utf8');
            this.#message = [];
            this.#onMessage(text);
          }
          break;
        case OP_PING:
          this.socket.write(encodeClientFrame(OP_PONG, frame.payload));
          break;
        case OP_CLOSE:
          this.#close(new Error('the inspector closed the connection'));
          break;
        default:
          break; // binary frames and pongs: the inspector sends none we need
      }
    }
  }

  #onMessage(text: string): void {
    let message: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message?: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // not JSON: ignored, as the inspector never sends that
    }
    if (typeof message.id === 'number') {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(message.error.message ?? 'inspector error'));
      else pending.resolve(message.result);
      return;
    }
    if (typeof message.method === 'string') {
      for (const listener of this.#events.get(message.method) ?? []) listener(message.params);
    }
  }
}
