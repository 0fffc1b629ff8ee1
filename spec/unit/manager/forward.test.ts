import { SignalForwarder } from '../../../lib/manager/forward';
import { ReloadEvents } from '../../../lib/manager/reload-events';
import type { RoundRobin } from '../../../lib/manager/round-robin';
import { resolveOptions } from '../../../lib/options';

/** A ChildHandle stand-in: records what it was sent; `alive: false` is a process already gone. */
function child(pid: number, alive = true) {
  const record = {
    pid,
    generation: 1,
    stopSent: undefined as string | undefined,
    slotReleased: false,
    signals: [] as string[],
    graceArmed: [] as Array<[number, string]>,
    kill(signal: NodeJS.Signals) {
      if (alive) record.signals.push(signal);
      return alive;
    },
    killLater(ms: number, asked: string) {
      record.graceArmed.push([ms, asked]);
    },
  };
  return record;
}
type StandIn = ReturnType<typeof child>;

function make(options: Parameters<typeof resolveOptions>[0], kids: StandIn[]) {
  const children = new Map(kids.map((kid) => [kid.pid, kid]));
  const withdrawn: number[] = [];
  let fills = 0;
  const forwarder = new SignalForwarder(resolveOptions(options), new ReloadEvents(0), {
    children,
    generation: () => 1,
    dealer: () => ({ withdraw: (pid: number) => withdrawn.push(pid) }) as unknown as RoundRobin,
    fill: () => fills++,
  });
  return { forwarder, withdrawn, fills: () => fills };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test("a stop signal reaches every child with its gracePeriod armed and no more connections dealt; a child already told is not told again", () => {
  const [a, b, c] = [child(1), child(2), child(3)];
  c.stopSent = 'TERM';
  const { forwarder, withdrawn, fills } = make({ trapSignals: { TERM: 'TERM' }, gracePeriod: 5000 }, [a, b, c]);
  forwarder.forward('TERM');
  expect([a.signals, b.signals, c.signals]).toEqual([['SIGTERM'], ['SIGTERM'], []]);
  expect([a.stopSent, b.stopSent]).toEqual(['TERM', 'TERM']);
  expect(a.graceArmed).toEqual([[5000, 'TERM']]);
  expect(withdrawn).toEqual([1, 2]);
  expect(fills()).toBe(0); // all at once: slots are not released, start() has ended
});

test('a signal that is no stop (USR1) changes nothing else', () => {
  const a = child(1);
  const { forwarder, withdrawn } = make({ trapSignals: { HUP: 'USR1' } }, [a]);
  forwarder.forward('HUP');
  expect(a.signals).toEqual(['SIGUSR1']);
  expect([a.stopSent, a.graceArmed, withdrawn]).toEqual([undefined, [], []]);
});

test('gracePeriod null never arms a SIGKILL', () => {
  const a = child(1);
  make({ gracePeriod: null }, [a]).forwarder.forward('TERM');
  expect(a.signals).toEqual(['SIGTERM']);
  expect(a.graceArmed).toEqual([]);
});

test('a trapped signal mapped to null sends nothing; an untrapped one is sent as itself', () => {
  const a = child(1);
  const { forwarder } = make({ trapSignals: { TERM: 'TERM', INT: null } }, [a]);
  forwarder.forward('INT');
  expect(a.signals).toEqual([]);
  forwarder.forward('QUIT'); // stop(): a signal nobody mapped
  expect(a.signals).toEqual(['SIGQUIT']);
});

test('staggered: one child now, one per interval, each releasing its slot so its replacement starts', () => {
  const [a, b, c] = [child(1), child(2), child(3)];
  const { forwarder, fills } = make({ trapSignals: { HUP: ['TERM', 100] } }, [a, b, c]);
  forwarder.forward('HUP', true);
  expect([a.signals, b.signals, c.signals]).toEqual([['SIGTERM'], [], []]);
  expect([a.slotReleased, fills()]).toEqual([true, 1]);
  jest.advanceTimersByTime(100);
  expect(b.signals).toEqual(['SIGTERM']);
  jest.advanceTimersByTime(100);
  expect(c.signals).toEqual(['SIGTERM']);
  expect(fills()).toBe(3);
});

test('a TERM during a stagger sends the rest at once', () => {
  const [a, b, c] = [child(1), child(2), child(3)];
  const { forwarder } = make({ trapSignals: { TERM: 'TERM', HUP: ['TERM', 1000] } }, [a, b, c]);
  forwarder.forward('HUP', true);
  forwarder.forward('TERM');
  expect([a.signals, b.signals, c.signals]).toEqual([['SIGTERM'], ['SIGTERM'], ['SIGTERM']]);
  jest.advanceTimersByTime(5000);
  expect(b.signals).toEqual(['SIGTERM']); // the stagger's timer sends nothing twice
});

test("a child already gone is not marked stopping, and its slot stays for its reap to free", () => {
  const gone = child(1, false);
  const { forwarder, withdrawn, fills } = make({ trapSignals: { HUP: ['TERM', 100] } }, [gone]);
  forwarder.forward('HUP', true);
  expect([gone.stopSent, gone.slotReleased, withdrawn, fills()]).toEqual([undefined, false, [], 0]);
});

test.each([
  [{ TERM: 'TERM' }, 'SIGTERM'],
  [{ TERM: 'QUIT' }, 'SIGQUIT'],
  [{ TERM: 'USR1' }, 'SIGTERM'], // TERM mapped to a signal that stops nothing: the pool still stops with TERM
  [{ TERM: null }, 'SIGTERM'],
])('stop() with trapSignals %j sends %s, releasing the slot only when asked', (trapSignals, expected) => {
  const [a, b] = [child(1), child(2)];
  const { forwarder, fills } = make({ trapSignals }, [a, b]);
  forwarder.stop(a, false);
  forwarder.stop(b, true);
  expect([a.signals, b.signals]).toEqual([[expected], [expected]]);
  expect([a.slotReleased, b.slotReleased, fills()]).toEqual([false, true, 1]);
});
