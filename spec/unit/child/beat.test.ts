import { ChildBeat, STATUS_INTERVAL_MS } from '../../../lib/child/beat';
import type { BeatMessage, StatusMessage } from '../../../lib/protocol/messages';

function beat(): { beat: ChildBeat; sent: Array<BeatMessage | StatusMessage> } {
  const sent: Array<BeatMessage | StatusMessage> = [];
  return { beat: new ChildBeat((m) => sent.push(m)), sent };
}

afterEach(() => jest.useRealTimers());

test('the first beat goes at start(), then one per interval, with memory and ELU', () => {
  jest.useFakeTimers();
  const { beat: b, sent } = beat();
  b.start(1000);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toMatchObject({ type: 'beat', seq: 0, state: 'idle', served: 0, inflight: 0 });
  jest.advanceTimersByTime(3000);
  expect(sent.map((m) => (m as BeatMessage).seq)).toEqual([0, 1, 2, 3]);
  const last = sent[3] as BeatMessage;
  expect(last.rss).toBeGreaterThan(0);
  expect(last.elu).toBeGreaterThanOrEqual(0);
});

test('setStatus sends when the state flips, at most one message per interval, never one per call', () => {
  jest.useFakeTimers();
  const { beat: b, sent } = beat();
  b.start(60_000);
  sent.length = 0;
  b.setStatus('busy', 'job 1');
  expect(sent).toEqual([expect.objectContaining({ type: 'status', state: 'busy', note: 'job 1' })]);
  // 1,000 jobs within the interval: no message each, and none at all if the state ends as the manager knows it.
  for (let i = 0; i < 1000; i++) {
    b.setStatus('idle');
    b.setStatus('busy', `job ${i + 2}`);
  }
  jest.advanceTimersByTime(STATUS_INTERVAL_MS);
  expect(sent).toHaveLength(1);
  b.setStatus('idle');
  jest.advanceTimersByTime(STATUS_INTERVAL_MS);
  expect(sent).toHaveLength(2);
  expect(sent[1]).toMatchObject({ type: 'status', state: 'idle', served: 1001 });
});

test('without start() (beatInterval null) nothing is sent; bad arguments throw a TypeError', () => {
  const { beat: b, sent } = beat();
  b.setStatus('busy');
  b.setStatus('idle');
  expect(sent).toEqual([]);
  expect(() => b.setStatus(3)).toThrow(new TypeError('ppi.setStatus(): state must be a string, got number'));
  expect(() => b.setStatus('x', {})).toThrow(/note must be a string, got object/);
  b.setStatus('x'.repeat(1000));
  expect(b.state).toHaveLength(200);
});
