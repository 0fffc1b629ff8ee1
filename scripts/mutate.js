#!/usr/bin/env node
'use strict';
/*
 * Mutation check: does the suite notice small, realistic bugs in lib/?
 *
 *   node scripts/mutate.js                 every mutation, each against its own spec subset
 *   node scripts/mutate.js --list          the mutations (and whether each search text is still found), nothing run
 *   node scripts/mutate.js --only a,b      only these (by id)
 *   node scripts/mutate.js --full          each mutation against the whole suite (slow: ~10 min each)
 *   node scripts/mutate.js --keep          keep the scratch copy (its path is printed)
 *
 * It copies the working tree (tracked and untracked, not ignored files: your uncommitted
 * changes included) into a scratch directory under the system temp dir, with node_modules
 * as a symlink to this checkout's. First the control: the unmutated copy is built and every
 * spec file the chosen mutations name is run once (the whole suite with --full). A mutation
 * is "killed" when some test fails, and that means something only if the same tests pass
 * unmutated: a mutation whose tests fail in the control is not judged (reported as
 * "NOT JUDGED"), and when the control cannot run at all, no mutation is. (As root, a
 * scratch directory only root can enter made embedded Postgres's initdb, run as the user
 * postgres, fail with EACCES: every queue test failed whatever the mutant, and every mutant
 * looked caught.) Then, one mutation at a time: put the pristine sources back, replace the
 * mutation's exact search text (which must occur exactly once), rebuild dist/, run jest on
 * the mutation's spec files (and test-name filter, if any), and record whether some test
 * failed ("killed") or all passed ("SURVIVED"). It prints a Markdown table at the end and
 * exits 0 only when every mutation was judged and killed. Nothing in this checkout is
 * changed. Not part of CI: it takes minutes.
 *
 * A mutation is { id, file, search, replace, specs, name?, unit?, why }. `specs` are the
 * spec files that should catch it (kept small so a run stays affordable); `name` is a jest
 * -t pattern narrowing them further; `unit` are spec/unit/ files run whole, in a second jest
 * run (they are fast, and their test names would not match `name`). When you add a behaviour, add the mutation that deletes
 * it here, and check that it is killed.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** A jest run that takes longer than this counts as killed (the suite hung on the mutant). */
const RUN_LIMIT_MS = 5 * 60_000;
/** The control runs every spec file the mutations name, in one jest run: the whole suite takes ~10 min. */
const CONTROL_LIMIT_MS = 40 * 60_000;
/** Per-test timeout for mutant runs: a mutant that makes a test wait forever should not cost 60 s a test. */
const TEST_TIMEOUT_MS = 30_000;

const MUTATIONS = [
  // ---- the three survivors of issue 13 ----
  {
    id: 'start-keeps-signalReceived',
    file: 'lib/manager/manager.ts',
    search: "    this.signalReceived = '';\n    this.#policy.generationBegun();",
    replace: '    this.#policy.generationBegun();',
    specs: ['spec/signals.test.ts'],
    why: "start() no longer clears signalReceived; generation 2 sees 'HUP'",
  },
  {
    id: 'cli-crlf-blank-is-a-job',
    file: 'lib/cli/job-reader.ts',
    search: 'const BLANK = /^[ \\t\\r]*$/;',
    replace: 'const BLANK = /^[ \\t]*$/;',
    specs: ['spec/cli.test.ts'],
    name: 'CRLF|malformed lines',
    unit: ['spec/unit/cli/job-reader.test.ts'],
    why: 'a CRLF blank line in a job file becomes a failed job',
  },
  {
    id: 'err-respawn-after-status-0',
    file: 'lib/manager/pacing.ts',
    search: 'if (end.status !== 0 && config.errRespawnInterval > 0) {',
    replace: 'if (config.errRespawnInterval > 0) {',
    specs: ['spec/prefork.test.ts'],
    unit: ['spec/unit/manager/pacing.test.ts'],
    why: 'errRespawnInterval also pauses after a child that exited 0',
  },
  // ---- manager ----
  {
    id: 'no-err-respawn-pause',
    file: 'lib/manager/pacing.ts',
    search: 'next = { ...next, crashing: true, crashes, pausedUntil: now + backoff(config, crashes) };',
    replace: 'next = { ...next, crashing: true, crashes };',
    specs: ['spec/pool-lifecycle.test.ts', 'spec/prefork.test.ts'],
    unit: ['spec/unit/manager/pacing.test.ts', 'spec/unit/manager/policy.test.ts'],
    why: 'no pause after a non-zero exit (crash pacing alone left)',
  },
  {
    id: 'no-crash-pacing',
    file: 'lib/manager/pacing.ts',
    search: 'return state.crashing ? Math.max(config.spawnInterval, config.errRespawnInterval) : config.spawnInterval;',
    replace: 'return config.spawnInterval;',
    specs: ['spec/pool-lifecycle.test.ts'],
    unit: ['spec/unit/manager/pacing.test.ts', 'spec/unit/manager/policy.test.ts'],
    why: 'a crash loop refills all maxWorkers slots per errRespawnInterval',
  },
  {
    id: 'crash-pacing-never-ends',
    file: 'lib/manager/pacing.ts',
    search: '  if (end.status === 0 || end.finished) next = crashOver(next, config);\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts', 'spec/prefork.test.ts'],
    name: 'crash|errRespawnInterval',
    unit: ['spec/unit/manager/pacing.test.ts'],
    why: 'once crashing, spawns stay one per errRespawnInterval even after healthy children',
  },
  {
    id: 'no-spawn-interval',
    file: 'lib/manager/pacing.ts',
    search: '  return { ...state, nextSpawnAt: now + spawnGap(state, config) };',
    replace: '  return { ...state, nextSpawnAt: now };',
    specs: ['spec/prefork.test.ts'],
    unit: ['spec/unit/manager/pacing.test.ts', 'spec/unit/manager/policy.test.ts'],
    why: 'spawnInterval ignored',
  },
  {
    id: 'reload-counts-as-crash',
    file: 'lib/manager/manager.ts',
    search: 'if (this.running && child.generation === this.generation && child.stopSent === undefined) this.#failures.ended(',
    replace: 'if (this.running && child.stopSent === undefined) this.#failures.ended(',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'reload|earlier generation',
    why: 'a child of an earlier generation exiting non-zero counts as a crash of this one',
  },
  {
    id: 'no-grace-kill',
    file: 'lib/manager/forward.ts',
    search: '    if (this.options.gracePeriod !== null) child.killLater(this.options.gracePeriod, signal);\n',
    replace: '',
    specs: ['spec/chaos.test.ts'],
    name: 'graceful stop',
    why: 'no SIGKILL after gracePeriod',
  },
  {
    id: 'no-forward-during-wait',
    file: 'lib/manager/manager.ts',
    search: '      this.#heldReload.flush();\n      this.#signals.forward(name);\n',
    replace: '      this.#heldReload.flush();\n',
    specs: ['spec/signals.test.ts', 'spec/pool-lifecycle.test.ts'],
    name: 'waitAllChildren',
    why: 'a signal (or stop()) during waitAllChildren() reaches no child',
  },
  {
    id: 'spawn-after-stop-in-beforeFork',
    file: 'lib/manager/user-hooks.ts',
    search: '    if (!stillStarting()) return undefined;\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'beforeFork',
    why: 'stop() from beforeFork still spawns that child',
  },
  {
    id: 'wait-timeout-says-0',
    file: 'lib/manager/waiters.ts',
    search: '          resolve(this.left());',
    replace: '          resolve(0);',
    specs: ['spec/signals.test.ts'],
    why: 'waitAllChildren(timeout) resolves 0 however many children are left',
  },
  {
    id: 'wait-ignores-async-onChildReap',
    file: 'lib/manager/user-hooks.ts',
    search: '    this.#pendingReaps.add(done);\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts', 'spec/finish.test.ts'],
    why: 'waitAllChildren() resolves before an async onChildReap has settled',
  },
  {
    id: 'maxWorkers-setter-no-fill',
    file: 'lib/manager/manager.ts',
    search: '    if (this.#maxWorkers > 0) this.#shrink();\n    this.#fill();',
    replace: '    if (this.#maxWorkers > 0) this.#shrink();',
    specs: ['spec/cli.test.ts'],
    name: 'retries',
    why: 'raising maxWorkers at run time spawns nothing until some other event',
  },
  {
    id: 'exit-guard-kills-nothing',
    file: 'lib/manager/exit-guard.ts',
    search: "    for (const each of living) each.kill('SIGTERM');\n",
    replace: '',
    specs: ['spec/chaos.test.ts'],
    name: 'no child outlives',
    why: 'a manager that exits or throws leaves its children running',
  },
  {
    id: 'signalAllChildren-counts-none',
    file: 'lib/manager/manager.ts',
    search: 'if (child.kill(nodeSignal(signal))) reached++;',
    replace: 'child.kill(nodeSignal(signal));',
    specs: ['spec/signals.test.ts'],
    name: 'waitAllChildren\\(timeout\\)',
    why: 'signalAllChildren() says it reached no child',
  },
  {
    id: 'stagger-all-at-once',
    file: 'lib/manager/stagger.ts',
    search: '      this.#timer = setTimeout(() => this.run(), Math.min(this.intervalMs, MAX_TIMER_MS));',
    replace: '      this.run();',
    specs: ['spec/signals.test.ts'],
    name: 'one child at a time',
    unit: ['spec/unit/manager/stagger.test.ts'],
    why: '[signal, intervalMs] signals every child at once',
  },
  {
    id: 'no-crash-warning',
    file: 'lib/manager/start-failures.ts',
    search: '      warn(\n        `child ${child.pid} exited with status ${status} without calling finish(); ` +\n          `next spawn in ${this.policy.pauseLeft(Date.now())} ms (errRespawnInterval, ×1.5 per crash in a row until a child is ready)`,\n      );\n',
    replace: '',
    specs: ['spec/prefork.test.ts'],
    name: 'errRespawnInterval pauses',
    why: 'a child dying without finish() is not reported on stderr',
  },
  // ---- the sizing policy and the event channel (issue 17) ----
  {
    id: 'shrink-newest-first',
    file: 'lib/manager/policy.ts',
    search: '    for (const child of pool.children) {\n      if (surplus <= 0) break;',
    replace: '    for (const child of [...pool.children].reverse()) {\n      if (surplus <= 0) break;',
    specs: ['spec/events.test.ts'],
    name: 'shrink',
    unit: ['spec/unit/manager/policy.test.ts'],
    why: 'a shrink retires the newest children instead of the oldest',
  },
  {
    id: 'reap-event-needs-hook',
    file: 'lib/manager/manager.ts',
    search: "    if (observed('reap')) publish('reap',",
    replace: "    if (observed('reap') && this.#hooks.reaps) publish('reap',",
    specs: ['spec/events.test.ts'],
    why: 'the reap event is published only when an onChildReap hook is set',
  },
  {
    id: 'callback-end-not-published',
    file: 'lib/manager/callback-server.ts',
    search: '    if (!end) return running;',
    replace: '    return running;',
    specs: ['spec/events.test.ts'],
    name: 'one lifetime',
    unit: ['spec/unit/manager/events.test.ts'],
    why: 'callback:end never fires',
  },
  {
    id: 'reload-done-before-the-last-old-child',
    file: 'lib/manager/reload-events.ts',
    search: '    for (const child of alive) if (child.generation <= generation) return;',
    replace: '    for (const child of alive) if (child.generation < generation) return;',
    specs: ['spec/events.test.ts'],
    name: 'rolling',
    why: "reload 'done' is published while children of the replaced generation are still alive",
  },
  {
    id: 'callback-timeout-ignored',
    file: 'lib/manager/callback-server.ts',
    search: '      if (this.timeoutMs === undefined) return { ok: true, result: await running };',
    replace: '      return { ok: true, result: await running };',
    specs: ['spec/callbacks.test.ts'],
    name: 'handler errors',
    unit: ['spec/unit/manager/callback-server.test.ts'],
    why: 'callbackTimeout never fires',
  },
  // ---- the manager's handle on one child ----
  {
    id: 'child-handle-cr-line-is-malformed',
    file: 'lib/manager/child-handle.ts',
    search: 'if (isBlankLine(line)) return;',
    replace: 'if (line.length === 0) return;',
    specs: ['spec/callbacks.test.ts'],
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: "a '\\r' line (CRLF) from a child is warned about as malformed",
  },
  {
    id: 'replies-not-held-for-slow-reader',
    file: 'lib/manager/child-handle.ts',
    search: 'if (this.channel.backlogged || this.#heldReplies.length > 0) {',
    replace: 'if (this.#heldReplies.length > 0) {',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'stops reading',
    why: 'answers to a child that does not read are serialised at once (memory grows)',
  },
  {
    id: 'malformed-with-id-gets-no-reply',
    file: 'lib/manager/child-handle.ts',
    search: "      if (id !== undefined) this.#reply(id, { ok: false, code: 'MALFORMED', message: `malformed message: ${reason}` });\n      else if (shown) this.#send",
    replace: '      if (shown) this.#send',
    specs: ['spec/callbacks.test.ts'],
    why: 'a malformed call with an id is never answered (the child would wait forever)',
  },
  {
    id: 'no-pipe-close-grace',
    file: 'lib/manager/child-handle.ts',
    search: '        this.#pipeCloseTimer = setTimeout(() => this.channel.destroy(), PIPE_CLOSE_GRACE_MS);\n',
    replace: '',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'grandchild',
    why: 'a grandchild holding the pipe keeps an exited child from being reaped',
  },
  // ---- child runtime ----
  {
    id: 'child-ignores-manager-exit',
    file: 'lib/child/runtime.ts',
    search: "    if (policy === 'terminate') process.kill(process.pid, 'SIGTERM');\n    else if",
    replace: '    if',
    specs: ['spec/chaos.test.ts'],
    name: 'no child outlives',
    why: "orphan protection broken: children of a SIGKILLed manager live on (once hung the suite)",
  },
  {
    id: 'child-always-holds-event-loop',
    file: 'lib/child/runtime.ts',
    search: 'this.#channel.setRef(!this.#helloReceived || this.#waiting !== undefined || this.#pending.size > 0 || listening);',
    replace: 'this.#channel.setRef(true);',
    specs: ['spec/finish.test.ts'],
    name: 'falsy',
    why: 'a child that returns without finish() never exits',
  },
  {
    id: 'child-error-reply-resolves',
    file: 'lib/child/runtime.ts',
    search: '        if (message.error) {\n          const { code, message: text, cause } = message.error;\n          call.reject(new CallbackError(code, call.name, text, cause === undefined ? undefined : errorShape().fromReportedError(cause)));\n        } else call.resolve(message.result);',
    replace: '        call.resolve(message.result);',
    specs: ['spec/callbacks.test.ts'],
    why: 'a failed callback resolves undefined instead of rejecting',
  },
  {
    id: 'finish-does-not-wait-for-ack',
    file: 'lib/child/runtime.ts',
    search: "await new Promise<unknown>((resolve) => this.#request(id, line, { name: 'finish', resolve, reject: resolve }));",
    replace: "this.#request(id, line, { name: 'finish', resolve: () => {}, reject: () => {} });",
    specs: ['spec/finish.test.ts'],
    name: '50 MB',
    why: 'finish() exits once the payload is queued, not once the manager has it',
  },
  {
    id: 'finish-does-not-flush-stdio',
    file: 'lib/child/runtime.ts',
    search: '      await flushStdio();\n      process.exit(exitCode);',
    replace: '      process.exit(exitCode);',
    specs: ['spec/chaos.test.ts'],
    name: 'output is never lost',
    why: 'finish() exits without draining stdout/stderr',
  },
  {
    id: 'child-managerPid-before-hello-0',
    file: 'lib/child/runtime.ts',
    search: '  managerPid = process.ppid;',
    replace: '  managerPid = 0;',
    specs: ['spec/pool-lifecycle.test.ts'],
    name: 'managerPid',
    why: 'managerPid is 0 in a child until the hello arrives',
  },
  {
    id: 'child-generation-stays-0',
    file: 'lib/child/runtime.ts',
    search: '        this.generation = message.generation;\n',
    replace: '',
    specs: ['spec/signals.test.ts'],
    name: 'HUP mapped to TERM',
    why: 'a child does not learn its generation from the hello',
  },
  {
    id: 'onManagerExit-function-not-called',
    file: 'lib/child/runtime.ts',
    search: "    else if (typeof policy === 'function') policy(this.owner);\n",
    replace: '',
    specs: ['spec/chaos.test.ts'],
    name: 'finish their current work',
    why: 'an onManagerExit function is never called',
  },
  // ---- codec and channel ----
  {
    id: 'codec-sends-function-payload',
    file: 'lib/protocol/codec.ts',
    search: "if (kind === 'function' || kind === 'symbol' || kind === 'bigint') {",
    replace: "if (kind === 'bigint') {",
    specs: ['spec/callbacks.test.ts'],
    name: 'handler errors',
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: 'a function payload is sent as undefined instead of failing with BAD_PAYLOAD',
  },
  {
    id: 'codec-size-fast-path-counts-units',
    file: 'lib/protocol/codec.ts',
    search: 'if (line.length * 3 + 1 > maxBytes) {',
    replace: 'if (line.length + 1 > maxBytes) {',
    specs: ['spec/chaos.test.ts'],
    name: 'limits',
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: 'multi-byte text under maxMessageBytes in UTF-16 units but over it in bytes is sent anyway',
  },
  {
    id: 'codec-accepts-arrays',
    file: 'lib/protocol/codec.ts',
    search: "if (typeof value !== 'object' || value === null || Array.isArray(value)) {",
    replace: "if (typeof value !== 'object' || value === null) {",
    specs: ['spec/callbacks.test.ts'],
    name: 'malformed',
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: 'a JSON array is taken for a message',
  },
  {
    id: 'codec-always-latin1',
    file: 'lib/protocol/codec.ts',
    search: "isAscii(line) ? line.toString('latin1') : line.toString('utf8')",
    replace: "line.toString('latin1')",
    specs: ['spec/callbacks.test.ts'],
    name: 'payload shape',
    unit: ['spec/unit/protocol/codec.test.ts'],
    why: 'the latin1 fast path is used for non-ASCII lines too',
  },
  {
    id: 'channel-large-non-ascii-as-latin1',
    file: 'lib/protocol/channel.ts',
    search: "this.#send(NON_ASCII.test(line) ? line : Buffer.from(line, 'latin1'), done);",
    replace: "this.#send(Buffer.from(line, 'latin1'), done);",
    specs: ['spec/finish.test.ts'],
    name: '50 MB',
    unit: ['spec/unit/protocol/channel.test.ts'],
    why: 'a large non-ASCII line is encoded as latin1',
  },
  {
    id: 'channel-no-flush-on-exit',
    file: 'lib/protocol/channel.ts',
    search: '  for (const channel of holding) channel.flushHeld();\n',
    replace: '',
    specs: ['spec/callbacks.test.ts', 'spec/finish.test.ts'],
    name: 'process.exit|falsy',
    unit: ['spec/unit/protocol/channel.test.ts'],
    why: 'lines held back in the tick of a process.exit() are lost',
  },
  {
    id: 'channel-large-line-overtakes',
    file: 'lib/protocol/channel.ts',
    search: '      this.flushHeld(); // keep the order\n',
    replace: '',
    specs: ['spec/callbacks.test.ts', 'spec/finish.test.ts'],
    name: 'order|50 MB',
    unit: ['spec/unit/protocol/channel.test.ts'],
    why: 'a large line sent after small ones in the same tick arrives before them',
  },
  {
    id: 'splitter-limit-off-by-one',
    file: 'lib/protocol/line-splitter.ts',
    search: 'if (this.#pendingBytes > this.maxLineBytes) {',
    replace: 'if (this.#pendingBytes >= this.maxLineBytes) {',
    specs: ['spec/unit/protocol/line-splitter.test.ts'],
    why: 'a line of exactly maxMessageBytes is refused',
  },
  // ---- CLI ----
  {
    id: 'cli-drops-last-line-without-newline',
    file: 'lib/cli/job-reader.ts',
    search: "      if (splitter.pendingBytes > 0) splitter.push(Buffer.from('\\n')); // a last line without its newline\n",
    replace: '',
    specs: ['spec/cli.test.ts'],
    name: 'standard input',
    unit: ['spec/unit/cli/job-reader.test.ts'],
    why: 'the last job is lost when the file does not end with a newline',
  },
  {
    id: 'cli-retries-off-by-one',
    file: 'lib/cli/scheduler.ts',
    search: 'if (job.attempt <= this.retries && !this.#stopped) {',
    replace: 'if (job.attempt < this.retries && !this.#stopped) {',
    specs: ['spec/cli.test.ts'],
    name: 'retries',
    unit: ['spec/unit/cli/scheduler.test.ts'],
    why: '--retries N runs a job N times, not N+1',
  },
  {
    id: 'cli-handler-log-into-results',
    file: 'lib/cli/coordinator.ts',
    search: "      childStdout: 'stderr',\n",
    replace: '',
    specs: ['spec/cli.test.ts'],
    name: 'malformed lines',
    why: "a handler's console.log goes into the results",
  },
  {
    id: 'cli-no-read-ahead-limit',
    file: 'lib/cli/coordinator.ts',
    search: '    if (this.#scheduler!.queued >= READ_AHEAD) this.#reader!.pause();\n',
    replace: '',
    specs: ['spec/cli.test.ts'],
    name: 'ahead|10,000',
    why: 'the whole job file is read into memory ahead of the workers',
  },
  {
    id: 'cli-second-sigint-kills-nothing',
    file: 'lib/cli/coordinator.ts',
    search: "    process.once('SIGINT', () => this.#killRunning('INT'));\n",
    replace: '',
    specs: ['spec/cli.test.ts'],
    name: 'second SIGINT',
    why: 'a second Ctrl-C does not kill the running jobs',
  },
  {
    id: 'cli-stop-signal-exit-1',
    file: 'lib/cli/coordinator.ts',
    search: '    if (this.#stopSignal) return exitStatus(null, nodeSignal(this.#stopSignal));',
    replace: '    if (this.#stopSignal) return EXIT_FAILED;',
    specs: ['spec/cli.test.ts'],
    name: 'SIGTERM to the manager',
    why: 'an interrupted run exits 1 instead of 128 + signal',
  },
  {
    id: 'cli-results-never-reordered',
    file: 'lib/cli/result-writer.ts',
    search: '    if (!this.ordered) return void this.#out.write(record);',
    replace: '    return void this.#out.write(record);',
    specs: ['spec/cli.test.ts'],
    name: 'malformed lines|10,000',
    unit: ['spec/unit/cli/result-writer.test.ts'],
    why: 'results come out as jobs complete even without --unordered',
  },
  {
    id: 'cli-max-jobs-ignored',
    file: 'lib/cli/job-loop.ts',
    search: 'more: maxJobs === 0 || jobsDone < maxJobs };',
    replace: 'more: true };',
    specs: ['spec/cli.test.ts'],
    name: 'max-jobs-per-worker',
    why: '--max-jobs-per-worker never replaces a worker',
  },
  // ---- issue 23: behaviours the whole suite let through ----
  {
    id: 'lifetime-timers-outlive-it',
    file: 'lib/manager/lifetime.ts',
    search: '    for (const timer of this.#timers) clearTimeout(timer);\n',
    replace: '',
    specs: ['spec/lifetime-timers.test.ts'],
    unit: ['spec/unit/manager/lifetime.test.ts'],
    why: "a finished lifetime's lifetimeTimeout aborts a later lifetime; its gracePeriod timer holds the manager 30 s after waitAllChildren()",
  },
  {
    id: 'message-off-removes-nothing',
    file: 'lib/child/runtime.ts',
    search: '    this.#messageListeners.delete(listener);\n',
    replace: '',
    specs: ['spec/message-listeners.test.ts'],
    why: "ppi.off('message', fn) leaves the listener on",
  },
  {
    id: 'nested-cause-stays-plain-object',
    file: 'lib/protocol/error-shape.ts',
    search: '{ cause: fromReportedError(cause as ReportedError) }',
    replace: '{ cause }',
    specs: ['spec/error-causes.test.ts'],
    unit: ['spec/unit/protocol/error-shape.test.ts'],
    why: "a handler error's nested causes reach the child as plain objects, not Errors",
  },
  {
    id: 'serve-closes-every-connection',
    file: 'lib/child/serve.ts',
    search: "    if (perConnection > 0 && state.requests >= perConnection) res.setHeader('Connection', 'close');\n",
    replace: "    res.setHeader('Connection', 'close');\n",
    specs: ['spec/serve-keep-alive.test.ts'],
    why: 'serve() ends every keep-alive connection after one response (clients just reconnect, so other server tests pass)',
  },
  {
    id: 'serve-max-requests-per-connection-ignored',
    file: 'lib/child/serve.ts',
    search: "    if (perConnection > 0 && state.requests >= perConnection) res.setHeader('Connection', 'close');\n",
    replace: '',
    specs: ['spec/serve-keep-alive.test.ts'],
    name: 'maxRequestsPerConnection',
    why: 'serve({ maxRequestsPerConnection }) never closes a connection',
  },
  {
    id: 'rolling-slot-freed-at-exit',
    file: 'lib/manager/forward.ts',
    search: '    if (release && !child.slotReleased) {\n      child.slotReleased = true;\n      this.host.fill();\n    }\n',
    replace: '',
    specs: ['spec/rolling-slow-drain.test.ts'],
    why: "a rolling reload replaces an old child when it exits, not when it is told to stop (capacity dips while it drains)",
  },
  // ---- issue 22 part B: serving, the socket path, the command's results ----
  {
    id: 'max-requests-counts-requests-only',
    file: 'lib/child/serve.ts',
    search: '    return seen >= limit;\n',
    replace: '    return requests >= limit;\n',
    specs: ['spec/serve-ending.test.ts'],
    name: 'exactly N',
    why: 'maxRequests stops accepting only at the limit: each connection open then sends one more (70 instead of 50)',
  },
  {
    id: 'stale-socket-removes-any-file',
    file: 'lib/manager/stale-socket.ts',
    search: "  if (!stats.isSocket()) return `${kind(stats)} is there, not a socket: remove it or choose another path`;\n",
    replace: '',
    specs: ['spec/servers.test.ts'],
    name: 'Unix socket',
    unit: ['spec/unit/manager/stale-socket.test.ts'],
    why: "a regular file at a 'listen' path (a typo) is deleted",
  },
  {
    id: 'cli-overlong-line-stops-reading',
    file: 'lib/cli/job-reader.ts',
    search: '      (bytes) => this.#overlong(bytes),\n      true,\n',
    replace: '      (bytes) => this.#overlong(bytes),\n      false,\n',
    specs: ['spec/cli-results-stream.test.ts'],
    name: '64 MiB',
    unit: ['spec/unit/cli/job-reader.test.ts'],
    why: 'a job line over 64 MiB stops the reading: every later job silently never runs',
  },
  // ---- options and signals ----
  {
    id: 'signal-names-case-sensitive',
    file: 'lib/signals.ts',
    search: "name.toUpperCase().replace(/^SIG/, '')",
    replace: "name.replace(/^SIG/, '')",
    specs: ['spec/signals.test.ts'],
    name: 'prefix',
    unit: ['spec/unit/signals.test.ts'],
    why: "'term' and 'hup' are not signals",
  },
  {
    id: 'default-errRespawnInterval-0',
    file: 'lib/options.ts',
    search: '  errRespawnInterval: 1000,\n',
    replace: '  errRespawnInterval: 0,\n',
    specs: ['spec/unit/options.test.ts'],
    why: 'the documented default of 1000 ms is gone: a crash loop spins',
  },
  {
    id: 'default-gracePeriod-none',
    file: 'lib/options.ts',
    search: 'milliseconds({ fallback: DEFAULTS.gracePeriod, infinite: true })',
    replace: 'milliseconds({ fallback: undefined, infinite: true })',
    specs: ['spec/unit/options.test.ts'],
    why: 'the documented default gracePeriod of 30 s is gone: a child ignoring TERM is never killed',
  },
  // ---- the queue (issue 21; issue 23 item 7) ----
  {
    id: 'queue-late-completion-stored',
    file: 'lib/queue/sql.ts',
    search: '    WHERE j.name = $1 AND j.id = v.id AND j.retry_count = v.retry_count AND j.state = \'active\'\n    RETURNING j.id`;',
    replace: '    WHERE j.name = $1 AND j.id = v.id AND j.state = \'active\'\n    RETURNING j.id`;',
    specs: ['spec/queue-ownership.test.ts'],
    name: 'has left that run',
    why: "a run's late completion completes the job another host runs now",
  },
  {
    id: 'queue-end-leaves-out-own-jobs',
    file: 'lib/queue/pg-boss-source.ts',
    search: '    if (remaining > 0) return this.#poll(this.options.pollMs);',
    replace: '    if (remaining > this.#held.size) return this.#poll(this.options.pollMs);',
    specs: ['spec/queue-ownership.test.ts'],
    name: 'waits for its retry',
    why: 'a lone manager ends while its own failed job waits for its retry',
  },
  {
    id: 'queue-no-heartbeat',
    file: 'lib/queue/heartbeat.ts',
    search: '    this.#running = this.beat().finally(() => {',
    replace: '    this.#running = Promise.resolve().finally(() => {',
    specs: ['spec/queue-ownership.test.ts'],
    name: 'heartbeat 1',
    unit: ['spec/unit/queue/heartbeat.test.ts'],
    why: "the heartbeat never beats: a dead host's jobs wait for the whole lease",
  },
  {
    id: 'queue-url-to-workers',
    file: 'lib/cli/main.ts',
    search: '  if (options.queue) preforkOptions.exec = { args: workerArgs(argv) };\n',
    replace: '',
    specs: ['spec/queue-connecting.test.ts'],
    name: 'workers get it',
    why: "the database URL is on every worker's command line",
  },
  // ---- issue 22: a buggy child cannot hurt the manager ----
  {
    id: 'message-listener-holds-nothing',
    file: 'lib/child/runtime.ts',
    search: '(this.#messageListeners.size > 0 || ',
    replace: '(false || ',
    specs: ['spec/waiting-children.test.ts'],
    name: "only waits for the manager's send",
    why: 'a child that only waits for send() exits 0 before the message comes',
  },
  {
    id: 'abort-listener-holds-nothing',
    file: 'lib/child/runtime.ts',
    search: '!this.#finished && current.abortAwaited',
    replace: '!this.#finished && false',
    specs: ['spec/waiting-children.test.ts'],
    name: 'abort',
    why: 'a child that only waits for its abortSignal exits 0 at once',
  },
  {
    id: 'pid-file-written-through-symlink',
    file: 'lib/manager/pid-file.ts',
    search: "    writeFileSync(temporary, `${process.pid}\\n`, { flag: 'wx', mode: 0o644 });\n    renameSync(temporary, file);",
    replace: '    writeFileSync(file, `${process.pid}\\n`);',
    specs: ['spec/pid-file.test.ts'],
    name: 'symlink',
    why: 'the pid file is written through a planted symlink',
  },
  {
    id: 'pid-file-live-holder-ignored',
    file: 'lib/manager/pid-file.ts',
    search: 'holder !== process.pid && isRunning(holder)',
    replace: 'holder !== process.pid && false',
    specs: ['spec/pid-file.test.ts'],
    name: 'refuses',
    why: 'a pid file naming a running manager is overwritten',
  },
  {
    id: 'pid-file-removed-unconditionally',
    file: 'lib/manager/pid-file.ts',
    search: '      if (pidIn(file) === process.pid) unlinkSync(file);',
    replace: '      unlinkSync(file);',
    specs: ['spec/pid-file.test.ts'],
    name: 'overlapping deploy',
    why: 'at exit a manager removes the pid file a newer manager wrote',
  },
  {
    id: 'error-reply-not-sized',
    file: 'lib/protocol/codec.ts',
    search: '  if (whole !== undefined) return whole;',
    replace: "  if (whole !== undefined || message !== '') return JSON.stringify({ type: 'reply', id, error }) + '\\n';",
    specs: ['spec/buggy-child.test.ts'],
    name: 'error reply longer than maxMessageBytes',
    why: 'a long handler error or unknown name is sent over the child\'s limit and ends the child',
  },
  {
    id: 'unsent-call-waits-forever',
    file: 'lib/child/runtime.ts',
    search: '    this.#channel.write(line, (error) => {\n',
    // The line is written without a callback: the function that would fail the call is never called.
    replace: '    this.#channel.write(line);\n    [].forEach((error?: Error | null) => {\n',
    specs: ['spec/buggy-child.test.ts'],
    name: 'fd 4 is closed',
    why: 'a call that could not be written (fd 4 closed) never settles',
  },
  {
    id: 'malformed-warnings-unlimited',
    file: 'lib/manager/warn-limit.ts',
    search: '    if (this.#shown < this.shownPerWindow) {',
    replace: '    if (this.#shown >= 0) {',
    specs: ['spec/buggy-child.test.ts'],
    name: '100,000 malformed lines',
    unit: ['spec/unit/manager/warn-limit.test.ts'],
    why: 'every malformed line of a flooding child prints a warning',
  },
  {
    id: 'wait-timeout-ignores-reap-hooks',
    file: 'lib/manager/manager.ts',
    search: '    this.#waiters = new Waiters(() => this.children.size + this.#hooks.pendingReaps,',
    replace: '    this.#waiters = new Waiters(() => this.children.size,',
    specs: ['spec/wait-all-children.test.ts'],
    why: 'waitAllChildren(timeout) resolves 0 while an onChildReap promise is still pending',
  },
  {
    id: 'calls-in-flight-unbounded',
    file: 'lib/manager/child-handle.ts',
    search: '        if (++this.#callsInFlight >= this.host.maxCallsInFlight) this.channel.readPaused = true;',
    replace: '        ++this.#callsInFlight;',
    specs: ['spec/buggy-child.test.ts'],
    name: 'without awaiting them',
    why: 'a child firing calls without awaiting them grows the manager without bound',
  },
  {
    id: 'round-robin-deals-to-hung-child',
    file: 'lib/manager/round-robin.ts',
    search: '    for (const lane of this.#lanes) lane.rotation.leave(pid);\n    if (!seat.warned) {',
    replace: '    if (!seat.warned) {',
    specs: ['spec/round-robin.test.ts'],
    name: 'hung child',
    unit: ['spec/unit/manager/round-robin.test.ts'],
    why: 'a child whose event loop is stuck keeps being dealt connections',
  },
  // ---- deploys, recycling, hangs, spare workers (issues 18 and 20) ----
  {
    id: 'not-ready-never-stopped',
    file: 'lib/manager/start-failures.ts',
    search: '    host.stopChild(child, !failedStep);\n',
    replace: '',
    specs: ['spec/readiness.test.ts'],
    name: 'never serves',
    why: 'a child that never gets ready is never stopped (readyTimeout only warns)',
  },
  {
    id: 'own-listen-not-ready',
    file: 'lib/child/listeners.ts',
    search: '      if (onListen) noteListen(listener, onListen);\n',
    replace: '',
    specs: ['spec/readiness.test.ts'],
    name: 'alone',
    unit: ['spec/unit/child/listeners.test.ts'],
    why: "a child's own server.listen(ppi.listeners[0]) never makes it ready (Perl-style servers stopped as 'not-ready')",
  },
  {
    id: 'rolling-step-before-ready',
    file: 'lib/manager/reload-plan.ts',
    search: '    const spare = oldReady + freshReady.length - pool.maxWorkers;',
    replace: '    const spare = oldReady + fresh.length - pool.maxWorkers;',
    specs: ['spec/bad-deploy.test.ts'],
    unit: ['spec/unit/manager/reload-plan.test.ts'],
    why: 'a gated rolling reload stops an old child as soon as its replacement is spawned, ready or not',
  },
  {
    id: 'rollback-never-abandons',
    file: 'lib/manager/reload-plan.ts',
    search: '    return this.failures >= this.config.reloadAttempts;',
    replace: '    return false;',
    specs: ['spec/bad-deploy.test.ts'],
    unit: ['spec/unit/manager/reload-plan.test.ts'],
    why: 'a reload whose new children keep failing is never abandoned (onReloadFailed never called)',
  },
  {
    id: 'backoff-flat',
    file: 'lib/manager/pacing.ts',
    search: 'first * BACKOFF_FACTOR ** Math.max(0, crashes - 1)',
    replace: 'first',
    specs: ['spec/crash-loop.test.ts'],
    unit: ['spec/unit/manager/pacing.test.ts'],
    why: 'the pause after each crash in a row stays errRespawnInterval (no ×1.5 backoff)',
  },
  {
    id: 'never-give-up',
    file: 'lib/manager/give-up.ts',
    search: '    if (this.#times.length <= maxRestarts) return undefined;',
    replace: '    if (this.#times.length <= maxRestarts || this.#times.length > 0) return undefined;',
    specs: ['spec/crash-loop.test.ts'],
    unit: ['spec/unit/manager/give-up.test.ts'],
    why: 'maxRestarts is never exceeded: start() never rejects in a crash loop',
  },
  {
    id: 'recycle-never-retires-old-child',
    file: 'lib/manager/recycling.ts',
    search: "      return { kind: 'retire', pids: [old], reason };",
    replace: '      continue;',
    specs: ['spec/recycling.test.ts'],
    name: 'maxChildAge',
    unit: ['spec/unit/manager/recycling.test.ts'],
    why: 'a recycle by age spawns the replacement but never stops the old child',
  },
  {
    id: 'recycle-slot-not-inherited',
    file: 'lib/manager/policy.ts',
    search: "    if (recycle?.kind === 'spawn') return recycle;",
    replace: "    if (recycle?.kind === 'spawn') return { kind: 'spawn', count: 1 };",
    specs: ['spec/slots.test.ts'],
    name: 'recycling',
    why: "a recycle's replacement gets slot maxWorkers instead of its old child's",
  },
  {
    id: 'hung-child-not-killed',
    file: 'lib/manager/hang-watch.ts',
    search: "    child.kill('SIGKILL');\n    this.onKilled(child, stack);",
    replace: '    this.onKilled(child, stack);',
    specs: ['spec/hung-children.test.ts'],
    name: 'while \\(true\\)',
    why: 'a hung child is reported but left running',
  },
  {
    id: 'spare-retires-fresh-idle',
    file: 'lib/manager/spare-workers.ts',
    search: "      if (child.phase === 'starting' || child.idleSince === undefined || pool.now - child.idleSince < MIN_IDLE_MS) continue;\n      if (!oldest || child.idleSince < oldest.idleSince!) oldest = child;",
    replace: "      if (child.phase === 'starting') continue;\n      if (!oldest || (child.idleSince ?? 0) < (oldest.idleSince ?? 0)) oldest = child;",
    specs: ['spec/spare-workers.test.ts'],
    unit: ['spec/unit/manager/spare-workers.test.ts'],
    why: 'spare workers retire busy children (and idle ones whose busy report may be on its way)',
  },
  {
    id: 'systemd-never-ready',
    file: 'lib/manager/systemd.ts',
    search: "        this.#send(['READY=1'], '');\n        return;",
    replace: '        return;',
    specs: ['spec/systemd-notify.test.ts'],
    unit: ['spec/unit/manager/systemd.test.ts'],
    why: 'systemd never hears READY=1 once the first generation is ready',
  },
  // ---- issue 17, stop 26: options rules, forward.ts, rotation ----
  {
    id: 'null-means-default-again',
    file: 'lib/options.ts',
    search: '    if (value === undefined) return fallback as F;',
    replace: '    if (value === undefined || value === null) return fallback as F;',
    specs: ['spec/options-defaults-documented.test.ts'],
    unit: ['spec/unit/options.test.ts'],
    why: 'null is silently the default again for the counts (maxWorkers: null → 10, maxCallsInFlight: null → 4096)',
  },
  {
    id: 'restart-window-zero-accepted',
    file: 'lib/options.ts',
    search: "milliseconds({ fallback: DEFAULTS.restartWindow, least: 1 })",
    replace: 'milliseconds({ fallback: DEFAULTS.restartWindow })',
    specs: ['spec/options-defaults-documented.test.ts'],
    unit: ['spec/unit/options.test.ts'],
    why: 'restartWindow: 0 is accepted, and maxRestarts silently never reached',
  },
  {
    id: 'stop-ignores-term-mapping',
    file: 'lib/manager/forward.ts',
    search: "    const signal = term && 'signal' in term && STOP_SIGNALS.has(term.signal) ? term.signal : 'TERM';",
    replace: "    const signal = 'TERM' as const;",
    specs: ['spec/resize-and-rolling.test.ts'],
    unit: ['spec/unit/manager/forward.test.ts'],
    why: "a shrink or retirement stops a child with TERM even when trapSignals maps TERM to another stop signal (QUIT)",
  },
  {
    id: 'rotation-turn-never-moves',
    file: 'lib/manager/rotation.ts',
    search: '    this.#cursor = (index + 1) % count;',
    replace: '    this.#cursor = index;',
    specs: ['spec/round-robin.test.ts'],
    unit: ['spec/unit/manager/rotation.test.ts'],
    why: "balance: 'round-robin' deals every connection to the same child",
  },
  {
    id: 'wake-up-stale-client-ends-current',
    file: 'lib/queue/wake-up.ts',
    search: '    if (from !== undefined && from !== this.#client) return;\n',
    replace: '',
    specs: ['spec/queue.test.ts'],
    name: '--follow',
    unit: ['spec/unit/queue/wake-up.test.ts'],
    why: "a LISTEN connection already given up on, ending late, ends the healthy reconnection",
  },
];

function parseArgs(argv) {
  const args = { only: undefined, full: false, keep: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only') args.only = new Set(argv[++i].split(','));
    else if (arg === '--full') args.full = true;
    else if (arg === '--baseline') continue; // the control run always happens now; the flag is kept for old scripts
    else if (arg === '--keep') args.keep = true;
    else if (arg === '--list') args.list = true;
    else throw new Error(`unknown argument ${arg}; see the comment at the top of scripts/mutate.js`);
  }
  return args;
}

/** Copies the working tree (tracked + untracked, not ignored) to a scratch directory. */
function scratchCopy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ppi-mutate-'));
  // mkdtemp makes it 0700. As root, embedded Postgres runs initdb and the server as the user
  // postgres, with this directory on the way to the binaries (node_modules is reached through
  // it) and as the working directory: it must be able to traverse it, or every queue test fails.
  fs.chmodSync(dir, 0o755);
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
    .toString()
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  warnUnreachableForPostgres([dir, os.tmpdir(), fs.realpathSync(path.join(ROOT, 'node_modules'))]);
  return dir;
}

/**
 * As root, embedded Postgres runs as the user postgres: its binaries (under node_modules),
 * its data and password file (under the temp dir) and the scratch copy (its working
 * directory) must be reachable by others. Says which folder is not; the control run
 * then shows what it breaks.
 */
function warnUnreachableForPostgres(paths) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  for (const start of paths) {
    for (let at = path.resolve(start); ; at = path.dirname(at)) {
      if ((fs.statSync(at).mode & 0o001) === 0) {
        console.error(`warning: ${at} cannot be traversed by other users: as root, the Postgres tests (run as the user postgres) will fail with EACCES; set TMPDIR to a folder like /tmp, or chmod o+x ${at}`);
        break;
      }
      if (at === path.dirname(at)) break;
    }
  }
}

function build(dir) {
  const tsc = spawnSync(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) return tsc.stdout + tsc.stderr;
  const esm = spawnSync(process.execPath, ['scripts/esm-wrapper.js'], { cwd: dir, encoding: 'utf8' });
  return esm.status === 0 ? undefined : esm.stdout + esm.stderr;
}

/** Runs jest on `specs` (all of spec/ when empty); returns { failed: [test names], ms, timedOut }. */
function jest(dir, specs, name, limitMs = RUN_LIMIT_MS) {
  const report = path.join(dir, `.jest-report-${process.pid}.json`);
  fs.rmSync(report, { force: true });
  const args = [path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--json', `--outputFile=${report}`, `--testTimeout=${TEST_TIMEOUT_MS}`, '--runInBand'];
  if (name) args.push('-t', name);
  args.push(...specs.map((spec) => path.join(dir, spec)));
  const began = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: limitMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  const ms = Date.now() - began;
  if (result.error && result.error.code === 'ETIMEDOUT') return { failed: [`(the run hung past ${limitMs / 1000} s)`], ms, timedOut: true };
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch {
    return { failed: [`(jest gave no report, exit ${result.status}): ${(result.stderr || '').slice(-500)}`], ms };
  }
  const failed = [];
  let passed = 0;
  for (const file of parsed.testResults) {
    const short = path.relative(dir, file.name);
    if (file.status === 'failed' && file.assertionResults.every((t) => t.status !== 'failed')) {
      failed.push(`${short}: ${(file.message || 'failed to run').split('\n').find(Boolean)}`);
    }
    for (const t of file.assertionResults) {
      if (t.status === 'failed') {
        failed.push(`${short}: ${t.fullName}`);
        const first = (t.failureMessages[0] || '').split('\n').find((l) => l.trim() !== '') || '';
        console.error(`    ✕ ${t.fullName}\n      ${first.trim().slice(0, 300)}`);
      }
      if (t.status === 'passed') passed++;
    }
  }
  if (failed.length === 0 && passed === 0) failed.push('(no test ran: check the specs and -t pattern)');
  return {
    failed,
    ms,
    passed,
    noTests: passed === 0 && failed.length === 1 && failed[0].startsWith('(no test ran'),
    /** [spec file relative to dir, full test name] of each failed test; a file that failed to run has name undefined. */
    failures: parsed.testResults.flatMap((file) => {
      const short = path.relative(dir, file.name);
      const tests = file.assertionResults.filter((t) => t.status === 'failed').map((t) => [short, t.fullName]);
      return file.status === 'failed' && tests.length === 0 ? [[short, undefined]] : tests;
    }),
  };
}

/**
 * Runs the unmutated copy once over every spec file the chosen mutations use (all of spec/
 * with --full). Returns a function telling, for a mutation, why it cannot be judged (its
 * own tests fail unmutated), or undefined when its control passed.
 */
function control(dir, chosen, full) {
  const files = full ? [] : [...new Set(chosen.flatMap((m) => [...m.specs, ...(m.unit ?? [])]))];
  console.error(`control: the unmutated copy, ${full ? 'the whole suite' : `${files.length} spec files`}…`);
  const run = jest(dir, files, undefined, CONTROL_LIMIT_MS);
  if (run.timedOut || run.noTests || (run.failures === undefined && run.failed.length > 0)) {
    const why = run.failed.join('; ');
    console.error(`control: COULD NOT RUN (${why}); no mutation is judged`);
    return { passed: false, summary: `the control run could not run: ${why}`, verdict: () => `control could not run: ${why}` };
  }
  const summary = `${run.passed} passed, ${run.failures.length} failed (${Math.round(run.ms / 1000)} s)`;
  console.error(`control: ${summary}`);
  for (const [file, name] of run.failures) console.error(`control FAILS: ${file}: ${name ?? '(the file did not run)'}`);
  const verdict = (m) => {
    // The tests a mutation's runs select: its spec files filtered by its -t pattern (jest
    // matches it, case-insensitively, against the full name), and its unit files whole.
    const pattern = m.name ? new RegExp(m.name, 'i') : undefined;
    const hit = run.failures.find(([file, name]) =>
      full ||
      (m.unit ?? []).includes(file) ||
      (m.specs.includes(file) && (name === undefined || !pattern || pattern.test(name))),
    );
    return hit ? `fails unmutated: ${hit[0]}: ${hit[1] ?? '(the file did not run)'}` : undefined;
  };
  return { passed: run.failures.length === 0, summary, verdict };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const chosen = MUTATIONS.filter((m) => !args.only || args.only.has(m.id));
  if (args.only && chosen.length !== args.only.size) throw new Error(`unknown id in --only; known: ${MUTATIONS.map((m) => m.id).join(', ')}`);
  if (args.list) {
    for (const m of chosen) {
      const count = fs.readFileSync(path.join(ROOT, m.file), 'utf8').split(m.search).length - 1;
      const spot = count === 1 ? '' : `  ** search text found ${count} times **`;
      console.log(`${m.id}  ${m.file}  [${m.specs.join(' ')}${m.name ? ` -t "${m.name}"` : ''}]  ${m.why}${spot}`);
    }
    return;
  }
  const began = Date.now();
  const dir = scratchCopy();
  console.error(`scratch copy: ${dir}`);
  const pristine = new Map();
  for (const m of chosen) if (!pristine.has(m.file)) pristine.set(m.file, fs.readFileSync(path.join(dir, m.file), 'utf8'));
  // Every search text must be found exactly once before anything runs.
  const problems = [];
  for (const m of chosen) {
    const count = pristine.get(m.file).split(m.search).length - 1;
    if (count !== 1) problems.push(`${m.id}: search text found ${count} times in ${m.file}`);
  }
  if (problems.length) throw new Error(`mutations out of date with lib/:\n  ${problems.join('\n  ')}`);

  const buildError = build(dir);
  if (buildError) throw new Error(`the unmutated copy does not build:\n${buildError}`);
  const checked = control(dir, chosen, args.full);

  const rows = [];
  for (const m of chosen) {
    const unjudged = checked.verdict(m);
    if (unjudged) {
      rows.push({ m, result: 'NOT JUDGED', by: unjudged, ms: 0 });
      console.error(`${'NOT JUDGED'.padEnd(14)} ${m.id}: ${unjudged}`);
      continue;
    }
    for (const [file, text] of pristine) fs.writeFileSync(path.join(dir, file), text);
    fs.writeFileSync(path.join(dir, m.file), pristine.get(m.file).replace(m.search, () => m.replace));
    const error = build(dir);
    let row;
    if (error) {
      row = { m, result: 'build failed', by: error.split('\n').find(Boolean), ms: 0 };
    } else {
      const run = jest(dir, args.full ? [] : m.specs, args.full ? undefined : m.name);
      if (!args.full && m.unit) {
        const unit = jest(dir, m.unit, undefined);
        const real = (r) => (r.noTests ? [] : r.failed);
        Object.assign(run, {
          failed: [...real(unit), ...real(run)],
          ms: run.ms + unit.ms,
          timedOut: run.timedOut || unit.timedOut,
          noTests: run.noTests || unit.noTests, // a subset that runs nothing is a mistake in this list
        });
      }
      const result = run.noTests ? 'NO TESTS RAN' : run.failed.length ? (run.timedOut ? 'killed (hang)' : 'killed') : 'SURVIVED';
      row = { m, result, by: run.failed.length ? run.failed.slice(0, 3).join('; ') + (run.failed.length > 3 ? `; +${run.failed.length - 3} more` : '') : '', ms: run.ms };
    }
    rows.push(row);
    console.error(`${row.result.padEnd(14)} ${m.id} (${Math.round(row.ms / 1000)} s)${row.by ? `: ${row.by}` : ''}`);
  }
  for (const [file, text] of pristine) fs.writeFileSync(path.join(dir, file), text);
  if (args.keep) console.error(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });

  const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  console.log('| mutation | file | what it breaks | result | caught by | s |');
  console.log('|---|---|---|---|---|---|');
  for (const { m, result, by, ms } of rows) {
    console.log(`| ${m.id} | ${m.file} | ${cell(m.why)} | ${result} | ${cell(by)} | ${Math.round(ms / 1000)} |`);
  }
  const killed = rows.filter((r) => r.result.startsWith('killed')).length;
  const unjudged = rows.filter((r) => r.result === 'NOT JUDGED').length;
  console.log(`\ncontrol (unmutated): ${checked.summary}`);
  if (unjudged > 0) console.log(`${unjudged} mutation(s) NOT JUDGED: their tests fail on the unmutated copy, so a failure under the mutation proves nothing.`);
  console.log(`${killed} of ${rows.length} killed; ${rows.filter((r) => r.result === 'SURVIVED').length} survived; ` +
    `${unjudged} not judged; ${Math.round((Date.now() - began) / 1000)} s in all.`);
  process.exitCode = rows.every((r) => r.result.startsWith('killed')) ? 0 : 1;
}

main();
