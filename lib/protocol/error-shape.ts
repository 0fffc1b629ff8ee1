import type { ReportedError } from '../view';

/** How deep a chain of `cause`s is followed: enough for real chains, bounded for cyclic ones. */
const MAX_CAUSE_DEPTH = 4;

/**
 * An error as JSON can carry it: `name`, `message`, `stack`, and every other
 * own property JSON can encode (`code`, `errno`, `statusCode`…). Errors lose
 * all of that through `JSON.stringify` (it gives `{}`), which is what peers'
 * users complain of (piscina #141, workerpool #363). A thrown non-Error
 * becomes `{ name: 'Error', message: String(value) }`.
 */
export function toReportedError(error: unknown, depth = 0): ReportedError {
  if (typeof error !== 'object' || error === null) return { name: 'Error', message: String(error) };
  const source = error as Record<string, unknown>;
  const shape: ReportedError = {
    name: typeof source.name === 'string' ? source.name : 'Error',
    message: typeof source.message === 'string' ? source.message : describe(error),
  };
  if (typeof source.stack === 'string') shape.stack = source.stack;
  for (const key of Object.getOwnPropertyNames(error)) {
    if (key === 'name' || key === 'message' || key === 'stack') continue;
    let value: unknown;
    try {
      value = source[key];
    } catch {
      continue; // a throwing getter
    }
    if (key === 'cause') {
      if (depth < MAX_CAUSE_DEPTH && value !== undefined) shape.cause = toReportedError(value, depth + 1);
      continue;
    }
    if (jsonable(value)) shape[key] = value;
  }
  return shape;
}

/** A thrown object without a string `message`, for people: its JSON, or what kind of object it is. */
function describe(value: object): string {
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    return Object.prototype.toString.call(value); // a cycle
  }
}

function jsonable(value: unknown): boolean {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return false;
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false; // a cycle, a BigInt inside
  }
}

/** A real Error again, on the receiving side: `instanceof Error`, with the sender's name, message, stack and properties. */
export function fromReportedError(shape: ReportedError): Error {
  const { name, message, stack, cause, ...rest } = shape;
  const error = new Error(message, cause === undefined ? undefined : { cause: fromReportedError(cause as ReportedError) });
  Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  if (stack !== undefined) Object.defineProperty(error, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  Object.assign(error, rest);
  return error;
}
