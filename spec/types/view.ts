// Compile-time tests: PreforkView, the interface PreforkIPC implements, and
// the other public types.
import {
  CallbackError,
  PreforkIPC,
  type CallbackErrorCode,
  type CallbackHandler,
  type ChildView,
  type ExecSettings,
  type JobContext,
  type JobHandler,
  type ManagerView,
  type PreforkView,
  type SignalAction,
} from 'parallel-prefork-ipc';
import { assertType, type Equal } from './helpers.js';

type Callbacks = { add: (ppi: PreforkView, pid: number, n: number) => number };
declare const typed: PreforkIPC<Callbacks, { total: number }, { slot: number }>;

// PreforkIPC<C, Final, Data> is a PreforkView<C, Final, Data>, and an untyped
// PreforkIPC is a plain PreforkView. (A typed one is not: the plain view
// promises a callback() that takes any name.)
const view: PreforkView<Callbacks, { total: number }, { slot: number }> = typed;
const plain: PreforkView = new PreforkIPC();
void plain;

export async function members(): Promise<void> {
  assertType<Equal<typeof view.isChild, boolean>>();
  assertType<Equal<typeof view.workerData, { slot: number } | undefined>>();
  assertType<Equal<typeof view.workerPids, number[]>>();
  assertType<Equal<typeof view.signalReceived, string>>();
  assertType<Equal<Awaited<ReturnType<typeof view.start>>, boolean>>();
  assertType<Equal<Awaited<ReturnType<typeof view.waitAllChildren>>, number>>();
  assertType<Equal<ReturnType<typeof view.signalAllChildren>, number>>();
  const n = await view.callback('add', 1);
  assertType<Equal<typeof n, number>>();
  view.maxWorkers = 3; // writable
  // @ts-expect-error read-only
  view.numWorkers = 3;
  // @ts-expect-error read-only
  view.managerPid = 1;
  // @ts-expect-error the view is typed in C
  await view.callback('sub', 1);
  // @ts-expect-error the view is typed in Final
  await view.finish(0, { total: 'x' });
}

// The plain view takes any name and payload.
export async function plainView(ppi: PreforkView): Promise<void> {
  const result = await ppi.callback('whatever', { a: 1 });
  assertType<Equal<typeof result, unknown>>();
  assertType<Equal<typeof ppi.workerData, unknown>>();
  await ppi.finish(0, 'anything');
}

// The role views: a PreforkView (and a PreforkIPC) is both; each has only its role's members.
const asManager: ManagerView = plain;
const asChild: ChildView<Callbacks, { total: number }, { slot: number }> = typed;
export async function roleViews(manager: ManagerView, child: ChildView<Callbacks, { total: number }, { slot: number }>): Promise<void> {
  assertType<Equal<Awaited<ReturnType<typeof manager.waitAllChildren>>, number>>();
  assertType<Equal<ReturnType<typeof manager.status>['children'][number]['pid'], number>>();
  // @ts-expect-error callback() works in a child only
  await manager.callback('add', 1); // eslint-disable-line @typescript-eslint/no-unsafe-call -- the call is the error expected
  // @ts-expect-error workerData is a child's
  void manager.workerData;
  const n = await child.callback('add', 1);
  assertType<Equal<typeof n, number>>();
  assertType<Equal<typeof child.workerData, { slot: number } | undefined>>();
  // @ts-expect-error waitAllChildren() works in the manager only
  await child.waitAllChildren(); // eslint-disable-line @typescript-eslint/no-unsafe-call -- the call is the error expected
  // @ts-expect-error send() to a child is the manager's
  child.send(1, 'x'); // eslint-disable-line @typescript-eslint/no-unsafe-call -- the call is the error expected
  // @ts-expect-error a role view is not the whole PreforkView
  const whole: PreforkView = manager;
  void [asManager, asChild, whole];
}

// A handler typed on its own, then used in a map.
const handler: CallbackHandler = (_ppi, _pid, payload) => payload;
new PreforkIPC({ callbacks: { handler } });

// The CLI's handler types.
const job: JobHandler<{ url: string }, number> = async (input, ctx) => {
  assertType<Equal<typeof input, { url: string }>>();
  assertType<Equal<typeof ctx, JobContext>>();
  return input.url.length + ctx.index + ctx.line + ctx.attempt + ctx.workerPid;
};
void job;
// @ts-expect-error the result must be the declared Result
const badJob: JobHandler<string, number> = (input) => input;
void badJob;

// Errors, actions, exec settings.
const codes: CallbackErrorCode[] = ['HANDLER_ERROR', 'UNKNOWN_CALLBACK', 'TIMEOUT', 'BAD_RESULT', 'BAD_PAYLOAD', 'MALFORMED', 'MANAGER_GONE', 'CHANNEL_CLOSED'];
// @ts-expect-error not a failure code
const badCode: CallbackErrorCode = 'OOPS';
void [codes, badCode];
export function handle(err: unknown): void {
  if (err instanceof CallbackError) {
    assertType<Equal<typeof err.code, CallbackErrorCode>>();
    assertType<Equal<typeof err.callbackName, string>>();
  }
}
const actions: SignalAction[] = ['TERM', ['HUP', 100], null];
void actions;
const exec: ExecSettings = { file: 'w.js', args: ['-x'], execArgv: ['--inspect'] };
void exec;
