import { fromReportedError, toReportedError } from '../../../lib/protocol/error-shape';
import type { ReportedError } from '../../../lib/view';

test('name, message, stack, code and other own JSON-able properties survive JSON', () => {
  const err = Object.assign(new RangeError('out of range'), { code: 'E_RANGE', detail: { at: 3 }, fn: () => 1, big: 1n });
  const shape = JSON.parse(JSON.stringify(toReportedError(err))) as ReportedError;
  expect(shape).toEqual({ name: 'RangeError', message: 'out of range', stack: err.stack, code: 'E_RANGE', detail: { at: 3 } });
  const back = fromReportedError(shape);
  expect(back).toBeInstanceOf(Error);
  expect(back).toMatchObject({ name: 'RangeError', message: 'out of range', code: 'E_RANGE', detail: { at: 3 } });
  expect(back.stack).toBe(err.stack);
  expect(Object.keys(back)).toEqual(['code', 'detail']); // name and stack stay non-enumerable, as on any Error
});

test('a cause chain is kept a few levels deep; a cycle ends', () => {
  const inner = new Error('inner');
  const outer = new Error('outer', { cause: inner });
  (inner as Error & { cause?: unknown }).cause = outer; // a cycle
  const shape = toReportedError(outer);
  expect(shape.cause).toMatchObject({ name: 'Error', message: 'inner', cause: { message: 'outer' } });
  expect(() => JSON.stringify(shape)).not.toThrow();
  const back = fromReportedError(JSON.parse(JSON.stringify(shape)) as ReportedError);
  expect((back.cause as Error).message).toBe('inner');
});

test('thrown non-Errors', () => {
  expect(toReportedError('plain')).toEqual({ name: 'Error', message: 'plain' });
  expect(toReportedError(undefined)).toEqual({ name: 'Error', message: 'undefined' });
  expect(toReportedError({ message: 'like an error', status: 404 })).toEqual({ name: 'Error', message: 'like an error', status: 404 });
});

test('every level of a cause chain is rebuilt as an Error with its name, stack and own properties', () => {
  const deepest = Object.assign(new RangeError('level 3'), { code: 'E3' });
  const middle = Object.assign(new TypeError('level 2', { cause: deepest }), { code: 'E2' });
  const top = Object.assign(new Error('level 1', { cause: middle }), { code: 'E1' });
  const back = fromReportedError(JSON.parse(JSON.stringify(toReportedError(top))) as ReportedError);
  const chain: unknown[] = [];
  for (let error: unknown = back; error !== undefined; error = (error as Error).cause) chain.push(error);
  expect(chain).toHaveLength(3);
  [top, middle, deepest].forEach((original, i) => {
    const rebuilt = chain[i] as Error & { code?: string };
    expect(rebuilt).toBeInstanceOf(Error);
    expect({ name: rebuilt.name, message: rebuilt.message, stack: rebuilt.stack, code: rebuilt.code }).toEqual({
      name: original.name,
      message: original.message,
      stack: original.stack,
      code: original.code,
    });
  });
});
