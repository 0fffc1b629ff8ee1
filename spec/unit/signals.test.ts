import { constants } from 'node:os';
import { exitStatus, nodeSignal, normalizeSignal } from '../../lib/signals';

describe('normalizeSignal', () => {
  test.each([
    ['TERM', 'TERM'],
    ['SIGTERM', 'TERM'],
    ['term', 'TERM'],
    ['sigterm', 'TERM'],
    ['SigHup', 'HUP'],
    ['USR2', 'USR2'],
    ['KILL', 'KILL'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeSignal(input)).toBe(expected);
  });

  test.each([['NOPE'], ['SIG'], [''], ['SIGSIGTERM'], [' TERM'], ['15']])('%j is no signal', (input) => {
    expect(normalizeSignal(input)).toBeUndefined();
  });

  test.each([[15], [null], [undefined], [{}], [['TERM']]])('a non-string (%j) is no signal', (input) => {
    expect(normalizeSignal(input)).toBeUndefined();
  });
});

test('nodeSignal adds the SIG prefix', () => {
  expect(nodeSignal('TERM')).toBe('SIGTERM');
  expect(nodeSignal('HUP')).toBe('SIGHUP');
});

describe('exitStatus', () => {
  test('the exit code when there is one, 0 included', () => {
    expect(exitStatus(0, null)).toBe(0);
    expect(exitStatus(3, null)).toBe(3);
    expect(exitStatus(255, null)).toBe(255);
  });

  test('128 + the signal number when killed', () => {
    expect(exitStatus(null, 'SIGTERM')).toBe(128 + constants.signals.SIGTERM);
    expect(exitStatus(null, 'SIGKILL')).toBe(137);
    expect(exitStatus(null, 'SIGINT')).toBe(130);
  });

  test('the code wins when both are given; neither gives 0', () => {
    expect(exitStatus(1, 'SIGTERM')).toBe(1);
    expect(exitStatus(null, null)).toBe(0);
  });
});
