// Compile-time tests: `Final` inferred from an annotated `onChildReap` payload,
// `Data` from `beforeFork`'s result, and hooks that receive `ppi` as a
// `ManagerView` (a `ChildView` for `onManagerExit`, which runs in a child; see
// lib/options.ts) without spoiling the inference of `C`, `Final` and `Data`
// from the same options object.
import {
  PreforkIPC,
  type CallbackMap,
  type FinishResult,
  type ManagerExitPolicy,
  type PreforkOptions,
  type ChildView,
  type ManagerView,
  type ReapInfo,
  type ReapReason,
  type ReportedError,
  type ServeStop,
} from 'parallel-prefork-ipc';
import { assertType, type Equal } from './helpers.js';

type ParamsOf<P> = P extends PreforkIPC<infer C, infer Final, infer Data> ? { C: C; Final: Final; Data: Data } : never;

interface Summary {
  done: number;
  failed: string[];
}

// ---- Final, from the annotated payload parameter of onChildReap ----

const withFinal = new PreforkIPC({
  onChildReap: (ppi, pid, status, summary: Summary | undefined) => {
    assertType<Equal<typeof ppi, ManagerView>>();
    assertType<Equal<typeof pid, number>>();
    assertType<Equal<typeof status, number>>();
    void summary;
  },
});
assertType<Equal<ParamsOf<typeof withFinal>['Final'], Summary>>();

export async function finishes(): Promise<void> {
  await withFinal.finish(0, { done: 1, failed: [] });
  await withFinal.finish(1);
  await withFinal.finish();
  // @ts-expect-error wrong final payload type
  await withFinal.finish(0, { done: 'one', failed: [] });
  // @ts-expect-error wrong final payload type: a missing member
  await withFinal.finish(0, { done: 1 });
  // @ts-expect-error the exit code is a number
  await withFinal.finish('0');
  const never: never = await withFinal.finish();
  void never;
}

// serve()'s finalPayload is the same final payload: checked like finish()'s.
export async function serves(server: import('node:net').Server): Promise<void> {
  await withFinal.serve(server, { finalPayload: () => ({ done: 1, failed: [] }) });
  await withFinal.serve(server, { finalPayload: async () => ({ done: 2, failed: ['x'] }), maxRequests: 1000, maxRequestsJitter: 50 });
  // @ts-expect-error wrong final payload type
  await withFinal.serve(server, { finalPayload: () => ({ done: 'one', failed: [] }) });
  // @ts-expect-error wrong final payload type: a missing member
  await withFinal.serve(server, { finalPayload: async () => ({ done: 1 }) });
}

// ReapInfo.served: why serve() ended the lifetime.
export function servedInfo(info: ReapInfo): void {
  if (info.served) {
    assertType<Equal<typeof info.served.stop, ServeStop>>();
    assertType<Equal<ServeStop, 'signal' | 'maxRequests' | 'closed'>>();
    const requests: number = info.served.requests;
    void requests;
  }
}

// Unannotated, the payload is unknown | undefined and Final stays unknown.
const unannotated = new PreforkIPC({
  onChildReap: (_ppi, _pid, _status, payload) => {
    assertType<Equal<typeof payload, unknown>>();
  },
});
assertType<Equal<ParamsOf<typeof unannotated>['Final'], unknown>>();
void unannotated.finish(0, 'anything goes');

// ---- Data, from beforeFork's result ----

const withData = new PreforkIPC({ beforeFork: () => ({ slot: 1, name: 'a' }) });
assertType<Equal<typeof withData.workerData, { slot: number; name: string } | undefined>>();

// …also when the hook takes `ppi` without annotating it.
const withDataFromPpi = new PreforkIPC({ beforeFork: (ppi) => ({ slot: ppi.numWorkers }) });
assertType<Equal<typeof withDataFromPpi.workerData, { slot: number } | undefined>>();

// A hook that returns undefined for some children: Data is the rest.
const sometimes = new PreforkIPC({ beforeFork: (ppi) => (ppi.numWorkers > 2 ? undefined : ppi.numWorkers) });
assertType<Equal<typeof sometimes.workerData, number | undefined>>();

// ---- hooks see only their role's members: ManagerView, or ChildView in a child ----

new PreforkIPC({
  callbacks: { ping: () => 'pong' },
  beforeFork: (ppi) => {
    assertType<Equal<typeof ppi, ManagerView>>();
    // @ts-expect-error workerData is a child's: in the manager it is undefined
    void ppi.workerData;
    return 1;
  },
  afterFork: (ppi, pid) => {
    assertType<Equal<typeof ppi, ManagerView>>();
    assertType<Equal<typeof pid, number>>();
    // @ts-expect-error callback() is a child's: the manager has nobody to call
    void ppi.callback;
  },
  onChildReap: (ppi) => {
    void ppi.signalAllChildren('HUP'); // a manager member
    // @ts-expect-error finish() is a child's
    void ppi.finish;
  },
  onManagerExit: (ppi) => {
    assertType<Equal<typeof ppi, ChildView>>();
    // @ts-expect-error waitAllChildren() is the manager's: onManagerExit runs in a child
    void ppi.waitAllChildren;
  },
});

// ---- everything together, every hook's ppi unannotated ----

const all = new PreforkIPC({
  maxWorkers: 4,
  callbacks: {
    next: async (_ppi, pid, last: number | null) => ({ pid, job: (last ?? 0) + 1 }),
    report: (_ppi, _pid, line: string) => line.length,
  },
  beforeFork: (ppi) => ({ generation: ppi.generation, tag: 'w' as const }),
  afterFork: (ppi, pid) => void [ppi, pid],
  onChildReap: (ppi, pid, status, total: { sum: number } | undefined) => void [ppi, pid, status, total],
  onManagerExit: (ppi) => void ppi,
});
type All = ParamsOf<typeof all>;
assertType<Equal<All['Final'], { sum: number }>>();
assertType<Equal<All['Data'], { generation: number; tag: 'w' }>>();
assertType<Equal<keyof All['C'], 'next' | 'report'>>();
assertType<Equal<typeof all.workerData, { generation: number; tag: 'w' } | undefined>>();

export async function together(): Promise<void> {
  const job = await all.callback('next', null);
  assertType<Equal<typeof job, { pid: number; job: number }>>();
  const length = await all.callback('report', 'x');
  assertType<Equal<typeof length, number>>();
  await all.finish(0, { sum: 3 });
  // @ts-expect-error wrong payload type, with hooks present
  await all.callback('report', 1);
  // @ts-expect-error unknown callback name, with hooks present
  await all.callback('nope');
  // @ts-expect-error missing required payload, with hooks present
  await all.callback('next');
  // @ts-expect-error wrong final payload type, with hooks present
  await all.finish(0, { sum: '3' });
}

// ---- options checked on their own ----

// @ts-expect-error a hook must be a function
new PreforkIPC({ beforeFork: 1 });
// @ts-expect-error maxWorkers is a number
new PreforkIPC({ maxWorkers: '4' });
// @ts-expect-error onManagerExit is 'terminate', 'ignore' or a function
new PreforkIPC({ onManagerExit: 'exit' });
new PreforkIPC({ trapSignals: { HUP: ['TERM', 100], INT: null, TERM: 'TERM' }, gracePeriod: null, exec: { file: 'w.js' } });
// @ts-expect-error the staggered form is [signal, intervalMs]
new PreforkIPC({ trapSignals: { HUP: ['TERM', '100'] } });

const policies: ManagerExitPolicy[] = ['terminate', 'ignore', (ppi) => void ppi.managerPid];
void policies;

// Options written apart from the constructor keep their types when given explicitly.
const options: PreforkOptions<CallbackMap, Summary, number> = {
  beforeFork: () => 1,
  onChildReap: (_ppi, _pid, _status, summary) => {
    assertType<Equal<typeof summary, Summary | undefined>>();
  },
};
const fromOptions = new PreforkIPC(options);
assertType<Equal<ParamsOf<typeof fromOptions>['Final'], Summary>>();
assertType<Equal<typeof fromOptions.workerData, number | undefined>>();
// @ts-expect-error beforeFork must return the declared Data
const badData: PreforkOptions<CallbackMap, unknown, number> = { beforeFork: () => 'one' };
void badData;

// ---- lifetimes (issue 10): finish() resolves when lifetimesPerChild says a process serves
// more than one lifetime, and never settles by default; onChildReap's fifth argument ----

assertType<Equal<FinishResult<1>, never>>();
assertType<Equal<FinishResult<100>, void>>();
assertType<Equal<FinishResult<number>, void>>();

const reused = new PreforkIPC({
  lifetimesPerChild: Infinity,
  lifetimesJitter: 10,
  maxChildMemory: 2 ** 29,
  lifetimeTimeout: 5000,
  onChildReap: (_ppi, _pid, _status, total: number | undefined, info) => {
    assertType<Equal<typeof info, ReapInfo>>();
    assertType<Equal<typeof info.reason, ReapReason>>();
    assertType<Equal<typeof info.error, ReportedError | undefined>>();
    void total;
  },
});
const hundred = new PreforkIPC({ lifetimesPerChild: 100, beforeFork: () => 'job' });
const one = new PreforkIPC({ lifetimesPerChild: 1 });

export async function reusedFinishes(): Promise<void> {
  const resolved: void = await reused.finish(0, 3);
  void resolved;
  assertType<Equal<Awaited<ReturnType<typeof hundred.finish>>, void>>();
  assertType<Equal<typeof hundred.workerData, string | undefined>>();
  const never: never = await one.finish();
  void never;
  // @ts-expect-error the final payload is a number here
  await reused.finish(0, 'three');
}

export function lifetimeMembers(): void {
  assertType<Equal<typeof reused.lifetime, number>>();
  assertType<Equal<typeof reused.abortSignal, AbortSignal>>();
  const cancelled: boolean = reused.cancel(1, 'enough');
  const sent: boolean = reused.send(1, { any: ['json'] });
  reused.on('message', (message) => assertType<Equal<typeof message, unknown>>()).off('message', () => {});
  // @ts-expect-error the only event is 'message'
  reused.on('exit', () => {});
  void cancelled;
  void sent;
}

// @ts-expect-error a typo in an option name is a type error too (and a TypeError at run time)
new PreforkIPC({ lifetimePerChild: 5 });
