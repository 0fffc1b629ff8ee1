/**
 * The library's warnings, said in the command's terms. They are written for
 * script authors ("end a child's work with await ppi.finish"), and reach
 * people who only wrote a handler: for them a child is a worker, finish() is
 * the command's business, and what they can change is their handler. Each
 * rule matches one warning of the library (spec/unit/cli/warnings.test.ts
 * produces them from the library itself); anything else passes unchanged.
 */
const RULES: ReadonlyArray<[RegExp, (m: RegExpMatchArray) => string]> = [
  [
    /^children keep ending without calling finish\(\) right after they start \((\d+) in a row; the last, pid (\d+), exited with status (\d+) after (\d+) ms\)/,
    (m) =>
      `workers keep exiting right after they start (${m[1]} in a row; the last, pid ${m[2]}, with status ${m[3]} after ${m[4]} ms): ` +
      'does the handler module end its process (process.exit(), process.kill()) when it is loaded or when a job runs? ' +
      'A handler should return (or throw) and leave the process to the command',
  ],
  [
    /^child (\d+) exited with status (\d+) without calling finish\(\); next spawn in (\d+) ms \(errRespawnInterval[^)]*\)$/,
    (m) =>
      `worker ${m[1]} exited with status ${m[2]}: the handler, or something it ran, ended the worker process ` +
      `(its job, if it had one, fails); a new worker starts in ${m[3]} ms`,
  ],
  [
    /^child (\d+) sent a line of more than (\d+) bytes \(maxMessageBytes\) after (\d+) bytes; it is treated as broken and killed$/,
    (m) => `worker ${m[1]} sent more than ${m[2]} bytes in one message (a result too large?); it was killed, and its job fails`,
  ],
  [/^child (\d+) sent a malformed message, dropped: /, (m) => `worker ${m[1]} wrote something that is not the command's own messages on its channel (did the handler write to fd 4?), dropped`],
];

export function inCommandTerms(message: string): string {
  for (const [pattern, say] of RULES) {
    const match = pattern.exec(message);
    if (match) return say(match);
  }
  return message;
}
