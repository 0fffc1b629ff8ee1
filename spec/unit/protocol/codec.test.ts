import { decodeFromChild, decodeFromManager, encodeLine, errorReplyLine, isBlankLine, ProtocolError } from '../../../lib/protocol/codec';
import type { ChildToManager, ManagerToChild } from '../../../lib/protocol/messages';

const buf = (text: string) => Buffer.from(text);

function thrown(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('encodeLine', () => {
  const call = (payload: unknown): ChildToManager => ({ type: 'call', id: 1, name: 'cb', payload });

  test('a message becomes one JSON line ending in a newline', () => {
    const line = encodeLine(call({ a: [1, 'x'] }), 'payload', { a: [1, 'x'] }, 1024);
    expect(line).toBe('{"type":"call","id":1,"name":"cb","payload":{"a":[1,"x"]}}\n');
    expect(line.indexOf('\n')).toBe(line.length - 1);
  });

  test('an undefined payload leaves the key out, null is kept', () => {
    expect(JSON.parse(encodeLine(call(undefined), 'payload', undefined, 1024))).toEqual({ type: 'call', id: 1, name: 'cb' });
    expect(JSON.parse(encodeLine(call(null), 'payload', null, 1024))).toEqual({ type: 'call', id: 1, name: 'cb', payload: null });
  });

  test.each([
    ['function', () => 1],
    ['symbol', Symbol('s')],
    ['bigint', 10n],
  ])('a top-level %s is refused, named, instead of silently dropped', (kind, value) => {
    const error = thrown(() => encodeLine(call(value), 'payload', value, 1024));
    expect(error.message).toBe(`payload is a ${kind}, which JSON cannot carry`);
  });

  test('a BigInt nested in the value is refused with JSON.stringify’s reason', () => {
    const value = { n: [1n] };
    const error = thrown(() => encodeLine(call(value), 'result', value, 1024));
    expect(error.message).toMatch(/^result is not JSON-serialisable: .*BigInt/);
  });

  test('a cycle is refused', () => {
    const value: Record<string, unknown> = {};
    value.self = value;
    const error = thrown(() => encodeLine(call(value), 'final payload', value, 1024));
    expect(error.message).toMatch(/^final payload is not JSON-serialisable: .*circular/i);
  });

  test('a line of exactly maxBytes (newline included) passes, one byte more is refused with its size', () => {
    const base = encodeLine(call(''), 'payload', '', 1 << 20).length; // with an empty string payload
    const max = 200;
    const fits = 'x'.repeat(max - base);
    expect(Buffer.byteLength(encodeLine(call(fits), 'payload', fits, max))).toBe(max);
    const over = fits + 'x';
    expect(thrown(() => encodeLine(call(over), 'payload', over, max)).message).toBe(
      `payload is ${max + 1} bytes as JSON, over maxMessageBytes (${max})`,
    );
  });

  test('the size is counted in UTF-8 bytes, not UTF-16 units: multi-byte text near the limit', () => {
    const base = encodeLine(call(''), 'payload', '', 1 << 20).length;
    const max = 300;
    // 'é' is 1 UTF-16 unit and 2 bytes: length*3 is over max, so the exact count decides.
    const room = max - base;
    const fits = 'é'.repeat(room / 2);
    expect(fits.length * 3 + base).toBeGreaterThan(max);
    expect(Buffer.byteLength(encodeLine(call(fits), 'payload', fits, max))).toBe(max);
    const over = fits + 'x';
    expect(thrown(() => encodeLine(call(over), 'payload', over, max)).message).toContain(`is ${max + 1} bytes`);
    // '✓' is 3 bytes per unit: the worst case the quick estimate allows for.
    const check = '✓'.repeat(Math.floor(room / 3));
    const line = encodeLine(call(check), 'payload', check, max);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(max);
  });
});

describe('decodeFromChild', () => {
  test.each<[string, ChildToManager]>([
    ['call with payload', { type: 'call', id: 3, name: 'add', payload: [1, 2] }],
    ['call without payload', { type: 'call', id: 0, name: 'ping' }],
    ['finish with payload', { type: 'finish', id: 7, payload: { total: 1 } }],
    ['finish without payload', { type: 'finish', id: 8 }],
    ['finish from serve(), saying why it stopped', { type: 'finish', id: 9, code: 0, served: { stop: 'maxRequests', requests: 50 } }],
  ])('%s', (_, message) => {
    expect(decodeFromChild(buf(JSON.stringify(message)))).toEqual(message);
  });

  test('what encodeLine writes, decode reads back (without the newline)', () => {
    const message: ChildToManager = { type: 'call', id: 12, name: 'é✓', payload: { s: 'ü' } };
    const line = encodeLine(message, 'payload', message.payload, 1024);
    expect(decodeFromChild(buf(line.slice(0, -1)))).toEqual(message);
  });

  test('manager messages are not child messages', () => {
    expect(() => decodeFromChild(buf('{"type":"reply","id":1}'))).toThrow(/not a call or finish message/);
    expect(() => decodeFromChild(buf('{"type":"hello","managerPid":1,"generation":1}'))).toThrow(ProtocolError);
  });

  test.each([
    ['call without a name', '{"type":"call","id":1}'],
    ['call with a numeric name', '{"type":"call","id":1,"name":5}'],
    ['call without an id', '{"type":"call","name":"x"}'],
    ['call with a fractional id', '{"type":"call","id":1.5,"name":"x"}'],
    ['call with a string id', '{"type":"call","id":"1","name":"x"}'],
    ['finish without an id', '{"type":"finish"}'],
    ['finish with an unknown serve stop', '{"type":"finish","id":1,"served":{"stop":"bored","requests":1}}'],
    ['finish with a served count that is not a number', '{"type":"finish","id":1,"served":{"stop":"signal","requests":"1"}}'],
    ['an unknown type', '{"type":"shout","id":1}'],
    ['no type', '{"id":1}'],
    ['an inherited key as type', '{"type":"constructor","id":1}'],
  ])('%s is refused', (_, line) => {
    expect(thrown(() => decodeFromChild(buf(line))).message).toMatch(/^not a call or finish message: /);
  });

  test('a bad message keeps its id, so its sender can still be answered', () => {
    expect(thrown(() => decodeFromChild(buf('{"type":"call","id":41}'))).id).toBe(41);
    expect(thrown(() => decodeFromChild(buf('{"type":"nope","id":0}'))).id).toBe(0);
    expect(thrown(() => decodeFromChild(buf('{"type":"nope","id":"41"}'))).id).toBeUndefined();
    expect(thrown(() => decodeFromChild(buf('{"type":"nope"}'))).id).toBeUndefined();
  });

  test('malformed JSON is refused with a preview of the line', () => {
    const error = thrown(() => decodeFromChild(buf('{"type":"call",')));
    expect(error.message).toMatch(/^not JSON \(.*\): "\{\\"type\\":\\"call\\","$/);
    expect(error.id).toBeUndefined();
  });

  test('a long bad line is previewed in 120 bytes with its length', () => {
    const line = 'x'.repeat(5000);
    const message = thrown(() => decodeFromChild(buf(line))).message;
    expect(message).toContain(`${'x'.repeat(120)}… (5000 bytes)`);
    expect(message).not.toContain('x'.repeat(121));
  });

  test.each([['[1,2]'], ['null'], ['42'], ['"call"'], ['true']])('%s is valid JSON but not an object', (line) => {
    expect(thrown(() => decodeFromChild(buf(line))).message).toMatch(/^not a JSON object: /);
  });

  test('non-ASCII text decodes as UTF-8', () => {
    const message = decodeFromChild(buf('{"type":"call","id":1,"name":"ü","payload":"✓ é"}'));
    expect(message).toEqual({ type: 'call', id: 1, name: 'ü', payload: '✓ é' });
  });
});

describe('decodeFromManager', () => {
  test.each<[string, ManagerToChild]>([
    ['hello', { type: 'hello', protocol: 1, managerPid: 100, generation: 2, workerData: { a: 1 } }],
    ['hello without workerData', { type: 'hello', protocol: 1, managerPid: 100, generation: 0 }],
    ['reply with a result', { type: 'reply', id: 1, result: [1] }],
    ['reply without a result', { type: 'reply', id: 2 }],
    ['reply with an error', { type: 'reply', id: 3, error: { code: 'TIMEOUT', message: 'late' } }],
    ['notice', { type: 'notice', message: 'dropped' }],
  ])('%s', (_, message) => {
    expect(decodeFromManager(buf(JSON.stringify(message)))).toEqual(message);
  });

  test.each([
    ['hello without managerPid', '{"type":"hello","generation":1}'],
    ['hello without generation', '{"type":"hello","managerPid":1}'],
    ['reply without id', '{"type":"reply","result":1}'],
    ['notice without message', '{"type":"notice"}'],
    ['notice with a numeric message', '{"type":"notice","message":1}'],
    ['a child message', '{"type":"call","id":1,"name":"x"}'],
  ])('%s is refused', (_, line) => {
    expect(thrown(() => decodeFromManager(buf(line))).message).toMatch(/^not a hello, reply, notice, next-lifetime, abort-lifetime, retire or message message: /); // issue 10 added four
  });

  test('a bad reply keeps its id', () => {
    expect(thrown(() => decodeFromManager(buf('{"type":"rely","id":9}'))).id).toBe(9);
  });

  test('malformed and non-object lines are refused', () => {
    expect(thrown(() => decodeFromManager(buf('nope'))).message).toMatch(/^not JSON/);
    expect(thrown(() => decodeFromManager(buf('[]'))).message).toMatch(/^not a JSON object/);
  });
});

describe('isBlankLine', () => {
  test('empty, and the \\r left of a CRLF line ending, are blank', () => {
    expect(isBlankLine(Buffer.alloc(0))).toBe(true);
    expect(isBlankLine(buf('\r'))).toBe(true);
  });

  test('anything else is not', () => {
    expect(isBlankLine(buf(' '))).toBe(false);
    expect(isBlankLine(buf('\r\r'))).toBe(false);
    expect(isBlankLine(buf('\n'))).toBe(false);
    expect(isBlankLine(buf('{}'))).toBe(false);
  });
});

describe('errorReplyLine', () => {
  const bytes = (line: string) => Buffer.byteLength(line);
  const cause = { name: 'Error', message: 'inner', stack: 'Error: inner\n    at x' };

  test('an error that fits goes whole, with its cause', () => {
    const line = errorReplyLine(3, { code: 'HANDLER_ERROR', message: 'no such user', cause }, 1024);
    expect(JSON.parse(line)).toEqual({ type: 'reply', id: 3, error: { code: 'HANDLER_ERROR', message: 'no such user', cause } });
  });

  test('a cause too large goes away first; the message stays whole', () => {
    const big = { ...cause, stack: 's'.repeat(2000) };
    const line = errorReplyLine(3, { code: 'HANDLER_ERROR', message: 'no such user', cause: big }, 1024);
    expect(JSON.parse(line)).toEqual({ type: 'reply', id: 3, error: { code: 'HANDLER_ERROR', message: 'no such user' } });
  });

  test.each([
    ['ASCII', 'a'],
    ['control characters (6 bytes each in JSON)', '\u0001'],
    ['non-ASCII (3 bytes each in UTF-8)', '✓'],
    ['astral characters (surrogate pairs)', '😀'],
  ])('a message too long for the limit is cut to fit, saying so: %s', (_label, unit) => {
    for (const max of [200, 1000, 64 * 1024]) {
      const message = unit.repeat(max);
      const line = errorReplyLine(12345, { code: 'UNKNOWN_CALLBACK', message }, max);
      expect(bytes(line)).toBeLessThanOrEqual(max);
      expect(line.endsWith('\n')).toBe(true);
      const parsed = JSON.parse(line) as { error: { code: string; message: string } };
      expect(parsed.error.code).toBe('UNKNOWN_CALLBACK');
      expect(parsed.error.message).toMatch(new RegExp(`cut to fit maxMessageBytes; the whole message was ${message.length} characters\\)$`));
      expect(message.startsWith(parsed.error.message.slice(0, parsed.error.message.indexOf(' … (cut')))).toBe(true);
      expect(parsed.error.message).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no lone high surrogate
    }
  });
});

describe("a serving child's ready and replace", () => {
  test('are decoded', () => {
    expect(decodeFromChild(buf('{"type":"ready"}'))).toEqual({ type: 'ready' });
    expect(decodeFromChild(buf('{"type":"replace","reason":"requests"}'))).toEqual({ type: 'replace', reason: 'requests' });
  });

  test('a replace with another reason is refused', () => {
    expect(thrown(() => decodeFromChild(buf('{"type":"replace","reason":"boredom"}'))).message).toMatch(/^not a call or finish message: /);
  });
});
