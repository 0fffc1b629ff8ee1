/**
 * parallel-prefork-ipc: a prefork process manager whose children call back
 * into it. Everything public is exported from here.
 */
export { PreforkIPC } from './prefork-ipc';
export type {
  PreforkView,
  ManagerView,
  ChildView,
  CallbackHandler,
  CallbackMap,
  PayloadOf,
  ResultOf,
  PayloadArgs,
  Listener,
  ServeOptions,
  ServedInfo,
  ServeStop,
  ReapInfo,
  ReapReason,
  HungStack,
  StackFrame,
  ReloadFailedInfo,
  ReportedError,
  MessageListener,
  FinishResult,
  PoolStatus,
  ChildStatus,
  ChildPhase,
  MetricsRegistry,
} from './view';
export { CallbackError } from './errors';
export { EVENT_PREFIX, EVENT_NAMES, subscribe } from './manager/events';
export type { PoolEvents, PoolEventName, PoolEvent } from './manager/events';
export type { CallbackErrorCode } from './errors';
export type { PreforkOptions, ForkInfo, SignalAction, PoolAction, ManagerExitPolicy, ExecSettings, ListenSpec, ListenOption, BalanceMode, ChildStdout } from './options';
export type { JobHandler, JobContext } from './cli/handler-types';
