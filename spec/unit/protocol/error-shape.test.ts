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
