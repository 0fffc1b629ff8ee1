/** ppi.off('message', fn) in a child: the listener removed gets nothing more; the others still do. */
import { expectBehaviour } from './support/behaviour';
import { run } from './support/run';

test("ppi.off('message', fn) removes that listener only: before start(), or from inside the listener itself", async () => {
  const end = await run(['message-listeners.js']);
  expect(end.code).toBe(0);
  const reap = end.events.find((e) => e.event === 'reap') as { status: number; payload: Record<string, unknown> };
  expect(reap.status).toBe(0);
  expectBehaviour('a listener still on receives every message', () => expect(reap.payload.kept).toEqual(['one', 'two']));
  expectBehaviour("a listener removed with ppi.off('message', fn) before start() still received messages", () =>
    expect(reap.payload.removed).toEqual([]),
  );
  expectBehaviour("a listener that removed itself with ppi.off('message', fn) in its first call received a later message", () =>
    expect(reap.payload.selfRemoving).toEqual(['one']),
  );
  expect(reap.payload.neverAdded).toEqual([]);
  expect(reap.payload.chained).toBe(true); // on() and off() return ppi
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});
