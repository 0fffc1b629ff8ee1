/**
 * The messages on the wire. Each is one JSON object on one line.
 * fd 3 carries manager → child messages, fd 4 child → manager.
 * A payload, result or workerData of `undefined` is sent by leaving the key
 * out, so `undefined` and `null` stay distinct. docs/protocol.md describes
 * the same thing for people writing a child in another language.
 */

/** Child → manager: run the named callback. */
export interface CallMessage {
  type: 'call';
  id: number;
  name: string;
  payload?: unknown;
}

/** Child → manager: the final payload, sent by finish(); the reply is the go-ahead to exit. */
export interface FinishMessage {
  type: 'finish';
  id: number;
  payload?: unknown;
}

/** Manager → child: the first message a child receives. */
export interface HelloMessage {
  type: 'hello';
  /** PROTOCOL_VERSION of the manager's library. */
  protocol: number;
  managerPid: number;
  generation: number;
  workerData?: unknown;
  /**
   * The manager's listening sockets, in order; the child finds the i-th one on
   * fd 5 + i. Absent without the `listen` option.
   */
  listeners?: ListenerAddress[];
}

/** A child finds the manager's i-th listening socket on this descriptor + i (after the channel's fd 3 and 4). */
export const FIRST_LISTENER_FD = 5;

/** Where one of the manager's listening sockets listens. */
export interface ListenerAddress {
  /** `'127.0.0.1:8080'`, `'[::1]:8080'`, `'/run/app.sock'`, or `'fd 3 (systemd)'` when it cannot be told. */
  address: string;
  host?: string;
  port?: number;
  path?: string;
  /** The `backlog` asked for; `ppi.serve()` passes it to listen(). */
  backlog?: number;
}

/** Why a call failed; a child turns it into `CallbackError.code`. */
export type FailureCode =
  | 'HANDLER_ERROR'
  | 'UNKNOWN_CALLBACK'
  | 'TIMEOUT'
  | 'BAD_RESULT'
  | 'MALFORMED'
  | 'MANAGER_GONE'
  | 'BAD_PAYLOAD';

/** Manager → child: the answer to a call or finish with the same id. */
export interface ReplyMessage {
  type: 'reply';
  id: number;
  result?: unknown;
  error?: { code: FailureCode; message: string };
}

/** Manager → child: the manager dropped something the child sent that it could not tie to a call. */
export interface NoticeMessage {
  type: 'notice';
  message: string;
}

export type ChildToManager = CallMessage | FinishMessage;
export type ManagerToChild = HelloMessage | ReplyMessage | NoticeMessage;

/**
 * Sent in `hello`. Raised when a message changes shape, so that a child
 * running another copy of the library (the `exec` option) can tell.
 */
export const PROTOCOL_VERSION = 1;
