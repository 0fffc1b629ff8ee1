import { inCommandTerms } from '../../../lib/cli/warnings';
import { EarlyExitWatch } from '../../../lib/manager/early-exit-watch';
import { rewordWarnings } from '../../../lib/warn';

/** The warnings the library itself emits while `fn` runs. */
function warningsOf(fn: () => void): string[] {
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
  try {
    fn();
    return spy.mock.calls.map((call) => String(call[0]));
  } finally {
    spy.mockRestore();
  }
}

test("the early-exit warning, as the library words it, becomes one about the handler, without finish()", () => {
  const [library] = warningsOf(() => {
    const watch = new EarlyExitWatch(false);
    for (let i = 0; i < 3; i++) watch.ended(100 + i, true, 0, 40);
  });
  expect(library).toMatch(/await ppi\.finish/);
  const said = inCommandTerms(library);
  expect(said).toBe(
    'workers keep exiting right after they start (3 in a row; the last, pid 102, with status 0 after 40 ms): ' +
      'does the handler module end its process (process.exit(), process.kill()) when it is loaded or when a job runs? ' +
      'A handler should return (or throw) and leave the process to the command',
  );
});

test('a crash without finish() is a worker the handler ended', () => {
  expect(inCommandTerms('child 42 exited with status 3 without calling finish(); next spawn in 100 ms (errRespawnInterval, ×1.5 per crash in a row until a child is ready)')).toBe(
    'worker 42 exited with status 3: the handler, or something it ran, ended the worker process (its job, if it had one, fails); a new worker starts in 100 ms',
  );
});

test('other warnings pass unchanged', () => {
  expect(inCommandTerms('could not spawn a child: EAGAIN')).toBe('could not spawn a child: EAGAIN');
});

test('rewordWarnings: warn() goes through the rewording until it is removed', () => {
  rewordWarnings((m) => `[cmd] ${m}`);
  try {
    expect(warningsOf(() => new EarlyExitWatch(false).ended(1, true, 0, 1))).toEqual([]); // one is no pattern
    const said = warningsOf(() => {
      const watch = new EarlyExitWatch(false);
      for (let i = 0; i < 3; i++) watch.ended(i, true, 0, 1);
    });
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^\[cmd\] children keep ending/);
  } finally {
    rewordWarnings(undefined);
  }
});
