// Compile-time tests (spec/types.test.ts runs tsc over this folder): the
// callback map inferred from `callbacks`, and the helper types behind
// `callback()`. A `// @ts-expect-error` line must fail to compile, or tsc
// reports the directive as unused.
import { PreforkIPC, type CallbackMap, type ManagerView, type PayloadArgs, type PayloadOf, type PreforkView, type ResultOf } from 'parallel-prefork-ipc';
import { assertType, type Equal } from './helpers.js';

// ---- the helper types on their own ----

type Takes<P> = (ppi: PreforkView, pid: number, payload: P) => unknown;
type NoPayload = (ppi: PreforkView, pid: number) => string;
type Optional = (ppi: PreforkView, pid: number, payload?: number) => void;

assertType<Equal<PayloadOf<Takes<{ id: number }>>, { id: number }>>();
assertType<Equal<PayloadOf<NoPayload>, unknown>>();
assertType<Equal<PayloadOf<() => void>, unknown>>();
assertType<Equal<PayloadOf<Optional>, number | undefined>>();
assertType<Equal<PayloadOf<'not a function'>, unknown>>();

assertType<Equal<ResultOf<() => number>, number>>();
assertType<Equal<ResultOf<() => Promise<{ ok: true }>>, { ok: true }>>();
assertType<Equal<ResultOf<() => Promise<Promise<string>>>, string>>(); // awaited all the way
assertType<Equal<ResultOf<() => void>, void>>();
assertType<Equal<ResultOf<'not a function'>, unknown>>();

assertType<Equal<PayloadArgs<Takes<string>>, [payload: string]>>();
assertType<Equal<PayloadArgs<Takes<string | undefined>>, [payload?: string | undefined]>>();
assertType<Equal<PayloadArgs<Optional>, [payload?: number | undefined]>>();
assertType<Equal<PayloadArgs<NoPayload>, [payload?: unknown]>>();
assertType<Equal<PayloadArgs<Takes<unknown>>, [payload?: unknown]>>();

// ---- the callback map, inferred from `callbacks` ----

const ppi = new PreforkIPC({
  callbacks: {
    add: (_ppi, _pid, pair: [number, number]) => pair[0] + pair[1],
    getUser: async (_ppi, pid, id: number) => ({ id, name: 'alice', by: pid }),
    ping: () => 'pong' as const,
    maybe: (_ppi, _pid, label?: string) => label ?? null,
    log: (_ppi, _pid, line: string): void => void line,
  },
});

// Unannotated handler parameters get the types PreforkOptions gives them.
new PreforkIPC({
  callbacks: {
    inspect: (ppi, pid, payload) => {
      assertType<Equal<typeof ppi, ManagerView>>();
      assertType<Equal<typeof pid, number>>();
      assertType<Equal<typeof payload, unknown>>();
    },
  },
});

export async function calls(): Promise<void> {
  assertType<Equal<Awaited<ReturnType<typeof ppi.callback<'add'>>>, number>>();

  const sum = await ppi.callback('add', [1, 2]);
  assertType<Equal<typeof sum, number>>();

  const user = await ppi.callback('getUser', 7);
  assertType<Equal<typeof user, { id: number; name: string; by: number }>>();

  const pong = await ppi.callback('ping');
  assertType<Equal<typeof pong, 'pong'>>();
  await ppi.callback('ping', 'a payload the handler ignores is allowed');

  const label = await ppi.callback('maybe');
  assertType<Equal<typeof label, string | null>>();
  await ppi.callback('maybe', 'x');
  await ppi.callback('maybe', undefined);

  const logged = await ppi.callback('log', 'line');
  assertType<Equal<typeof logged, void>>();

  // @ts-expect-error wrong payload type: string is not number
  await ppi.callback('getUser', 'x');
  // @ts-expect-error wrong payload shape: a tuple of two numbers
  await ppi.callback('add', [1, '2']);
  // @ts-expect-error unknown callback name
  await ppi.callback('nope');
  // @ts-expect-error unknown callback name, with a payload
  await ppi.callback('nope', 1);
  // @ts-expect-error missing required payload
  await ppi.callback('getUser');
  // @ts-expect-error missing required payload
  await ppi.callback('add');
  // @ts-expect-error one payload at most
  await ppi.callback('getUser', 1, 2);
  // @ts-expect-error payload of the wrong type for an optional one
  await ppi.callback('maybe', 5);
  // @ts-expect-error the result is typed, not `any`
  const wrong: string = await ppi.callback('add', [1, 2]);
  void wrong;
}

// ---- without `callbacks`: any name, any payload, unknown result ----

export async function untyped(): Promise<void> {
  const plain = new PreforkIPC();
  const result = await plain.callback('anything', { at: 'all' });
  assertType<Equal<typeof result, unknown>>();
  await plain.callback('no payload either');
  assertType<Equal<typeof plain, PreforkIPC<CallbackMap, unknown, unknown>>>();
}

// ---- an explicit callback map ----

interface Api {
  [name: string]: (ppi: PreforkView, pid: number, payload: never) => unknown;
  square: (ppi: PreforkView, pid: number, n: number) => number;
}

export async function explicit(typed: PreforkIPC<{ square: Api['square'] }>): Promise<void> {
  const n = await typed.callback('square', 3);
  assertType<Equal<typeof n, number>>();
  // @ts-expect-error unknown callback name on an explicitly typed map
  await typed.callback('cube', 3);
}

// ---- handlers must be functions ----

new PreforkIPC({
  callbacks: {
    // @ts-expect-error a callback is a function
    notAFunction: 42,
  },
});
