import { isAscii } from 'node:buffer';
import type { ChildToManager, ManagerToChild, ReplyMessage } from './messages';
import type { ServeStop } from '../view';

/** A message that cannot be put on the wire or taken off it. `reason` is for people. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  /** The id the bad message carried, when it had one, so its sender can still be answered. */
  id?: number;
}

/**
 * Serialises one message as a line. Throws a ProtocolError naming what is
 * wrong instead of sending something the other side would misread: JSON.stringify
 * throws on BigInt and cycles, and silently drops a top-level function.
 * `value` is the user's part of the message (payload, result, workerData), checked and named as `what`.
 */
export function encodeLine(message: ChildToManager | ManagerToChild, what: string, value: unknown, maxBytes: number): string {
  const kind = typeof value;
  if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {
    throw new ProtocolError(`${what} is a ${kind}, which JSON cannot carry`);
  }
  let line: string;
  try {
    line = JSON.stringify(message);
  } catch (err) {
    throw new ProtocolError(`${what} is not JSON-serialisable: ${(err as Error).message}`);
  }
  // JSON text is at most 3 bytes per UTF-16 unit, so most lines skip the exact count.
  if (line.length * 3 + 1 > maxBytes) {
    const bytes = Buffer.byteLength(line) + 1;
    if (bytes > maxBytes) {
      throw new ProtocolError(`${what} is ${bytes} bytes as JSON, over maxMessageBytes (${maxBytes})`);
    }
  }
  return line + '\n';
}

/** The most bytes one UTF-16 unit of a string becomes in JSON text (`\u0000`). */
const MAX_JSON_BYTES_PER_UNIT = 6;

/**
 * An error reply as a line that fits `maxBytes`, whatever the handler threw or
 * the callback's name was: with its cause when that fits, else without it,
 * else with its message cut short (saying so). A reply over the child's limit
 * would make the child close its channel and end itself, so a long error must
 * never cost the child more than its own call. Only a `maxBytes` too small for
 * an empty error (under ≈ 100 bytes, where no hello fits either) gets a line over it.
 */
export function errorReplyLine(id: number, error: NonNullable<ReplyMessage['error']>, maxBytes: number): string {
  const fits = (candidate: NonNullable<ReplyMessage['error']>): string | undefined => {
    try {
      return encodeLine({ type: 'reply', id, error: candidate }, 'the error', undefined, maxBytes);
    } catch {
      return undefined;
    }
  };
  const { code, message } = error;
  const whole = fits(error) ?? (error.cause === undefined ? undefined : fits({ code, message }));
  if (whole !== undefined) return whole;
  const note = ` … (cut to fit maxMessageBytes; the whole message was ${message.length} characters)`;
  const bare = JSON.stringify({ type: 'reply', id, error: { code, message: note } }) + '\n';
  const room = Math.max(0, Math.floor((maxBytes - Buffer.byteLength(bare)) / MAX_JSON_BYTES_PER_UNIT));
  let kept = message.slice(0, room);
  if (/[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1); // never half a surrogate pair
  return JSON.stringify({ type: 'reply', id, error: { code, message: kept + note } }) + '\n';
}

function parseObject(line: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    // JSON.stringify output is usually pure ASCII, and ASCII decoded as latin1
    // is the same string, made several times faster than by the UTF-8 decoder
    // (≈ 50 ms instead of ≈ 300 ms for a 100 MB final payload).
    value = JSON.parse(isAscii(line) ? line.toString('latin1') : line.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(`not JSON (${(err as Error).message}): ${preview(line)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`not a JSON object: ${preview(line)}`);
  }
  return value as Record<string, unknown>;
}

function isId(value: unknown): value is number {
  return Number.isSafeInteger(value);
}

const SERVE_STOPS: ReadonlySet<unknown> = new Set<ServeStop>(['signal', 'maxRequests', 'closed']);

function isServedInfo(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const served = value as Record<string, unknown>;
  return SERVE_STOPS.has(served.stop) && isId(served.requests);
}

/**
 * One shape check per message type, for each direction. The mapped type makes
 * the table exhaustive: a message type added to messages.ts without a check
 * here is a compile error, not a runtime "malformed" warning.
 */
type Checks<M extends { type: string }> = { [T in M['type']]: (message: Record<string, unknown>) => boolean };

const FROM_CHILD: Checks<ChildToManager> = {
  call: (m) => isId(m.id) && typeof m.name === 'string',
  finish: (m) =>
    isId(m.id) && (m.code === undefined || isId(m.code)) && (m.rss === undefined || typeof m.rss === 'number') && (m.served === undefined || isServedInfo(m.served)),
  crash: (m) => isId(m.lifetime) && isReportedError(m.error),
  beat: (m) =>
    isId(m.seq) && isStatus(m) && isNumber(m.elu) && isNumber(m.rss) && isNumber(m.heapUsed) && (m.metrics === undefined || Array.isArray(m.metrics)),
  status: (m) => isStatus(m),
  replace: (m) => m.reason === 'requests',
  ready: () => true,
};

/** Child messages a child may never send (left out of the "not a … message" error). */
const OPTIONAL_FROM_CHILD: ReadonlySet<string> = new Set(['crash', 'beat', 'status', 'replace', 'ready']);

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The fields a beat and a status message share. */
function isStatus(m: Record<string, unknown>): boolean {
  return (
    typeof m.state === 'string' &&
    (m.note === undefined || typeof m.note === 'string') &&
    isNumber(m.since) &&
    isNumber(m.served) &&
    isNumber(m.inflight)
  );
}

const FROM_MANAGER: Checks<ManagerToChild> = {
  hello: (m) =>
    isId(m.managerPid) &&
    isId(m.generation) &&
    (m.listeners === undefined || Array.isArray(m.listeners)) &&
    (m.beatInterval === undefined || (isNumber(m.beatInterval) && m.beatInterval > 0)),
  reply: (m) => isId(m.id),
  notice: (m) => typeof m.message === 'string',
  'next-lifetime': (m) => isId(m.lifetime) && isId(m.maxWorkers),
  'abort-lifetime': (m) => isId(m.lifetime) && typeof m.reason === 'string' && typeof m.timeout === 'boolean',
  // Any string: the child acts the same whatever the reason, so a newer manager's new reason still retires it.
  retire: (m) => typeof m.reason === 'string',
  message: () => true,
};

function isReportedError(value: unknown): boolean {
  const error = value as Record<string, unknown> | null;
  return typeof error === 'object' && error !== null && typeof error.name === 'string' && typeof error.message === 'string';
}

function decode<M extends { type: string }>(line: Buffer, checks: Checks<M>): M {
  const message = parseObject(line);
  const type = message.type;
  if (typeof type === 'string' && Object.hasOwn(checks, type) && checks[type as M['type']](message)) {
    return message as unknown as M;
  }
  // A child's crash report is its last words, its beat and status are optional extras, and
  // `ready` / `replace` a serving child's: not part of the conversation a child author must
  // implement. The message names what a peer is expected to send.
  const names = Object.keys(checks).filter((name) => !OPTIONAL_FROM_CHILD.has(name));
  const error = new ProtocolError(`not a ${alternatives(names)} message: ${preview(line)}`);
  if (isId(message.id)) error.id = message.id;
  throw error;
}

/** Parses a line a child sent. Throws ProtocolError, with the bad message's `id` when it had one. */
export function decodeFromChild(line: Buffer): ChildToManager {
  return decode(line, FROM_CHILD);
}

/** Parses a line the manager sent. Throws ProtocolError. */
export function decodeFromManager(line: Buffer): ManagerToChild {
  return decode(line, FROM_MANAGER);
}

/** Whether a line carries nothing: empty, or the `\r` of a CRLF line ending. */
export function isBlankLine(line: Buffer): boolean {
  return line.length === 0 || (line.length === 1 && line[0] === 13);
}

/** For a `switch` over message types: a compile error when a case is missing. */
export function assertNever(value: never): never {
  throw new ProtocolError(`unexpected message ${JSON.stringify(value)}`);
}

/** ['a', 'b', 'c'] → 'a, b or c' */
function alternatives(names: string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function preview(line: Buffer): string {
  const text = line.subarray(0, 120).toString('utf8');
  return JSON.stringify(line.length > 120 ? `${text}… (${line.length} bytes)` : text);
}
