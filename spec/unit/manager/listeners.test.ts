import { serverStarterSpecs, systemdSpecs } from '../../../lib/manager/listeners';
import { Stagger } from '../../../lib/manager/stagger';

test("SERVER_STARTER_PORT: every 'address=fd' pair, TCP and Unix, with or without a host", () => {
  expect(serverStarterSpecs({ SERVER_STARTER_PORT: '127.0.0.1:8080=3;8081=4;/tmp/app.sock=5' })).toEqual([{ fd: 3 }, { fd: 4 }, { fd: 5 }]);
  expect(() => serverStarterSpecs({})).toThrow(/SERVER_STARTER_PORT is not set/);
  expect(() => serverStarterSpecs({ SERVER_STARTER_PORT: '8080' })).toThrow(/cannot read "8080" in SERVER_STARTER_PORT/);
});

test('LISTEN_FDS counts from fd 3, and only when LISTEN_PID is this process', () => {
  expect(systemdSpecs({ LISTEN_FDS: '2', LISTEN_PID: '42' }, 42)).toEqual([{ fd: 3 }, { fd: 4 }]);
  expect(() => systemdSpecs({ LISTEN_FDS: '2', LISTEN_PID: '41' }, 42)).toThrow(/do not name sockets for this process/);
  expect(() => systemdSpecs({}, 42)).toThrow(/LISTEN_PID=unset/);
});

describe('Stagger', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('sends to the first target at once, the rest one per interval; flush() sends the rest now', () => {
    const sent: string[] = [];
    let ended = 0;
    const stagger = new Stagger('TERM', ['a', 'b', 'c', 'd'], 1000, (t) => sent.push(t), () => ended++);
    stagger.run();
    expect(sent).toEqual(['a']);
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual(['a', 'b']);
    stagger.extend(['c', 'e']); // c is already waiting
    stagger.flush();
    expect(sent).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ended).toBe(1);
    jest.advanceTimersByTime(5000);
    expect(sent).toHaveLength(5);
    expect(ended).toBe(1);
  });
});
