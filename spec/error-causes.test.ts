/** A handler's error crosses the pipe as its CallbackError's cause: real Errors at every level of the chain. */
import { expectBehaviour } from './support/behaviour';
import { run } from './support/run';

type Level = {
  isError: boolean;
  name: string;
  message: string;
  stackIsString: boolean;
  stackStartsWithItsName: boolean;
  stackFromTheHandler: boolean;
  nameNotEnumerable: boolean;
  own: Record<string, unknown>;
  hasCause: boolean;
};

test("a handler error's nested causes come back in the child as real Errors (name, message, the manager's stack, own properties) down to the depth carried", async () => {
  const end = await run(['error-causes.js']);
  expect(end.code).toBe(0);
  const reap = end.events.find((e) => e.event === 'reap') as { status: number; payload: { isCallbackError: boolean; code: string; levels: Level[] } };
  expect(reap.status).toBe(0);
  expect(reap.payload).toMatchObject({ isCallbackError: true, code: 'HANDLER_ERROR' });
  const { levels } = reap.payload;
  const expected = [
    { name: 'DbError', message: 'no such table: users', own: { code: 'SQLITE_ERROR', level: 1 } }, // retry() is no JSON: left out
    { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', own: { code: 'ECONNREFUSED', errno: -111, level: 2 } },
    { name: 'TypeError', message: 'not a socket', own: { code: 'E_LEVEL3', level: 3 } },
    { name: 'RangeError', message: 'port out of range', own: { code: 'E_LEVEL4', level: 4, detail: { port: 70000 } } },
    { name: 'SyntaxError', message: 'unexpected token', own: { code: 'E_LEVEL5', level: 5 } },
  ];
  expectBehaviour("the handler's error and four nested causes reach the child (a sixth level is cut off, as a cycle would be)", () =>
    expect(levels.map((l) => l.message)).toEqual(expected.map((e) => e.message)),
  );
  levels.forEach((level, i) => {
    expectBehaviour(`cause level ${i + 1} (${expected[i].name}) is not a real Error in the child: instanceof Error, its name, its stack from the manager`, () =>
      expect(level).toMatchObject({ isError: true, name: expected[i].name, stackIsString: true, stackStartsWithItsName: true, stackFromTheHandler: true }),
    );
    expectBehaviour(`cause level ${i + 1} (${expected[i].name}) lost its own properties, or made name/stack enumerable`, () =>
      expect({ own: level.own, nameNotEnumerable: level.nameNotEnumerable }).toEqual({ own: expected[i].own, nameNotEnumerable: true }),
    );
  });
  expect(levels.at(-1)!.hasCause).toBe(false);
  expect(end.events.at(-1)).toEqual({ event: 'end', left: 0 });
});
