import type { FailureCode } from './protocol/messages';

/**
 * Why a child's `callback()` (or `finish()`) failed:
 * - `HANDLER_ERROR`: the handler threw or rejected; the message carries its message.
 * - `UNKNOWN_CALLBACK`: the manager has no handler by that name.
 * - `TIMEOUT`: the handler did not settle within `callbackTimeout`.
 * - `BAD_RESULT`: the handler's result cannot be sent as JSON (or is over `maxMessageBytes`).
 * - `BAD_PAYLOAD`: the child's payload cannot be sent as JSON (or is over `maxMessageBytes`); nothing was sent.
 * - `MALFORMED`: the manager could not read the message.
 * - `MANAGER_GONE`: the manager went away before answering.
 * - `CHANNEL_CLOSED`: this child's channel to the manager (fd 4) is closed or failed: the call could not be sent.
 */
export type CallbackErrorCode = FailureCode;

export class CallbackError extends Error {
  override name = 'CallbackError';
  /** For `HANDLER_ERROR`: the handler's error (see `ReportedError`); otherwise undefined. */
  declare readonly cause?: Error;

  constructor(
    readonly code: CallbackErrorCode,
    readonly callbackName: string,
    message: string,
    /** For `HANDLER_ERROR`: the handler's error, rebuilt as an `Error` with its name, message, stack, `code` and other own JSON-able properties. */
    cause?: Error,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
